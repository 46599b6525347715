/**
 * Slice for the wasm backend without the hidden copy. tfjs-backend-wasm's Slice reads its input
 * with `readSync`, which copies the *whole* input tensor out of the heap into a fresh JS buffer
 * before taking the slice: NIG's per-α slices of [C,T,W] captures (all of them contiguous) cost
 * ≈ 4 ms each that way, 23% of NIG time (bench/results/). This kernel copies only the slice,
 * from a view of the heap. Non-contiguous and string slices go to tfjs' kernel.
 */
import * as tf from './tf.js';
import { replaceWasmKernel } from './replace-kernel.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

function makeKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return fallback(args as never);
    const attrs = (args.attrs ?? {}) as { begin: number | number[]; size?: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, attrs.begin, attrs.size) as [number[], number[]];
    if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return fallback(args as never);
    const backend = args.backend as WasmBackendLike;
    // makeOutput may grow the heap (detaching earlier views): take the views after it.
    const out = backend.makeOutput(size, x.dtype);
    const n = size.reduce((a, b) => a * b, 1);
    if (n === 0) return out;
    const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Replaces wasm's Slice (idempotent; tfjs' kernel stays the fallback). */
export function registerWasmSlice(): void {
  replaceWasmKernel('Slice', makeKernel);
}
