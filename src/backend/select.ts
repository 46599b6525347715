/**
 * Backend selection. wasm (SIMD, one thread per instance in Node) and cpu always work; the native
 * TensorFlow backends come from optional packages that users install themselves
 * (`@tensorflow/tfjs-node`, `@tensorflow/tfjs-node-gpu`) and are imported only when asked for.
 */
import { createRequire } from 'node:module';
import * as tf from './tf.js';
import { registerWasmKernels } from './wasm-kernels.js';
import { BackendError } from '../errors.js';

/** A tfjs backend celens can run on: wasm (default), cpu, or tfjs-node's tensorflow / tensorflow-gpu. */
export type BackendName = 'wasm' | 'cpu' | 'tensorflow' | 'tensorflow-gpu';
export const BACKENDS: readonly BackendName[] = ['wasm', 'cpu', 'tensorflow', 'tensorflow-gpu'];

const NATIVE: Record<'tensorflow' | 'tensorflow-gpu', string> = {
  tensorflow: '@tensorflow/tfjs-node',
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
};

let wasmLoaded = false;

async function loadWasm(): Promise<void> {
  if (wasmLoaded) return;
  // require, not import: see tf.ts (the scan of the CommonJS bundle an import starts with).
  createRequire(import.meta.url)('@tensorflow/tfjs-backend-wasm');
  wasmLoaded = true;
}

/**
 * Makes `name` the active backend. Without a name: wasm, falling back to cpu (with the reason in
 * the returned `note`). A named backend that cannot load is a BackendError with one clear line.
 */
export async function selectBackend(name?: BackendName): Promise<{ backend: string; note?: string }> {
  if (name === undefined) {
    try {
      await activate('wasm');
      return { backend: 'wasm' };
    } catch (e) {
      await activate('cpu');
      return { backend: 'cpu', note: `wasm backend unavailable (${(e as Error).message}); using cpu` };
    }
  }
  await activate(name);
  return { backend: tf.getBackend() };
}

async function activate(name: BackendName): Promise<void> {
  // PROD silences tfjs' console advice to install tfjs-node on every new backend; celens says it once, in the README.
  tf.env().set('PROD', true);
  if (name === 'wasm') {
    await loadWasm();
    registerWasmKernels();
  } else if (name === 'tensorflow' || name === 'tensorflow-gpu') {
    const pkg = NATIVE[name];
    try {
      await import(/* optional dependency */ pkg);
    } catch (e) {
      const err = e as Error & { code?: string };
      // Not found, or found but failing as it loads (a broken install, libtensorflow missing): say which.
      const missing = (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND') && err.message.includes(`'${pkg}'`);
      if (missing) throw new BackendError(`--backend ${name} needs the optional package ${pkg}, which is not installed (npm install ${pkg}); use --backend wasm or cpu`);
      throw new BackendError(`--backend ${name}: ${pkg} is installed but failed to load (${err.message.split('\n')[0] ?? ''}); reinstall it, or use --backend wasm or cpu`);
    }
  } else if (name !== 'cpu') {
    throw new BackendError(`unknown backend '${String(name)}' (choose ${BACKENDS.join(', ')})`);
  }
  // tfjs-node registers itself as 'tensorflow' (GPU build too).
  const registered = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  const ok = await tf.setBackend(registered);
  if (!ok) throw new BackendError(`backend '${name}' failed to initialise`);
  await tf.ready();
}
