// A stand-in for a tfjs-node-gpu install whose native library is missing: it throws as it loads.
throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
