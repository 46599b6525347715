/**
 * Identity for the wasm backend without the copy. tfjs-backend-wasm's Identity copies its input
 * into a fresh tensor; tfjs runs it for every tensor a custom gradient saves for its backward pass
 * (`save([...])` clones) and for tf.clone, so NIG's passes kept a second copy of every saved
 * activation (≈ a third of a pass's heap) and paid a memcpy per save. Tensors are immutable (a
 * Variable's assign rebinds its data, it does not write into it), so the clone can share the data
 * and count one more reference, as tfjs-wasm's Reshape and the cpu backend's Identity do.
 * Strings go to tfjs' kernel.
 */
import * as tf from './tf.js';
import { replaceWasmKernel } from './replace-kernel.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

function makeKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return fallback(args as never);
    (args.backend as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }) as unknown as tf.KernelFunc;
}

/** Replaces wasm's Identity (idempotent; tfjs' kernel stays the fallback for strings). */
export function registerWasmIdentity(): void {
  replaceWasmKernel('Identity', makeKernel);
}
