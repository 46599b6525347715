/**
 * A stand-in for @tensorflow/tfjs-node, which cannot install on this project's machines (its install
 * script downloads libtensorflow): like the real package it registers a backend named 'tensorflow'
 * on the shared tfjs, here tfjs' cpu backend and kernels under that name, and says on stderr that
 * it was loaded (once per thread that loads it), so that tests can see where and how often.
 */
const tf = require('@tensorflow/tfjs');
const { MathBackendCPU } = require('@tensorflow/tfjs-backend-cpu');

if (tf.findBackendFactory('tensorflow') === null) {
  tf.registerBackend('tensorflow', () => new MathBackendCPU(), 3);
  for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'tensorflow' });
}
process.stderr.write('fake @tensorflow/tfjs-node loaded\n');
module.exports = tf;
