/**
 * Puts a celens kernel in place of one of tfjs-backend-wasm's, keeping tfjs' own as the fallback
 * for what the replacement does not cover. The config keeps tfjs' setupFunc/disposeFunc: tfjs'
 * kernels bind their C functions there, and the fallback needs them.
 */
import * as tf from './tf.js';

interface Marked {
  celens?: boolean;
}

/** Replaces wasm's `kernelName` by `wrap(tfjs' kernel)` (idempotent). */
export function replaceWasmKernel(kernelName: string, wrap: (fallback: tf.KernelFunc) => tf.KernelFunc): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (current === undefined || isCelensKernel(kernelName)) return;
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...current, kernelFunc: wrap(current.kernelFunc), celens: true } as tf.KernelConfig);
}

/** Whether wasm's `kernelName` is currently a celens replacement. */
export function isCelensKernel(kernelName: string): boolean {
  return (tf.getKernel(kernelName, 'wasm') as Marked | undefined)?.celens === true;
}
