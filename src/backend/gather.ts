/**
 * GatherV2 along axis 0 (the embedding lookups: rows of a table by id) for the wasm backend as
 * row copies on the heap. tfjs-backend-wasm's kernel moves one element at a time with stride
 * arithmetic: 47 ms for the 4,096 × 384 word-embedding rows of a 32 × 128 scoring batch, 4% of
 * the forward (bench/results/), against ~1 ms for whole-row copies. Out-of-range ids are tfjs'
 * own error, with its message; other axes, batch dimensions and dtypes go to tfjs' kernel.
 */
import * as tf from './tf.js';
import { replaceWasmKernel } from './replace-kernel.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

function makeKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const indices = args.inputs.indices as tf.TensorInfo;
    const { axis, batchDims } = (args.attrs ?? {}) as { axis?: number; batchDims?: number };
    if (x.shape.length === 0 || (x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return fallback(args as never);
    if ((tf.util.parseAxisParam(axis ?? 0, x.shape)[0] as number) !== 0) return fallback(args as never);
    const backend = args.backend as WasmBackendLike;
    const rows = x.shape[0] as number;
    const width = x.shape.slice(1).reduce((a, b) => a * b, 1);
    const n = indices.shape.reduce((a, b) => a * b, 1);
    // makeOutput may grow the heap (detaching earlier views): take the views after it.
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
    if (n === 0 || width === 0) return out;
    const ids = backend.typedArrayFromHeap(indices);
    const xv = backend.typedArrayFromHeap(x);
    const ov = backend.typedArrayFromHeap(out);
    for (let r = 0; r < n; r++) {
      const id = ids[r] as number;
      tf.util.assert(id >= 0 && id <= rows - 1, () => `GatherV2: the index value ${id} is not in [0, ${rows - 1}]`);
      ov.set(xv.subarray(id * width, (id + 1) * width), r * width);
    }
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Replaces wasm's GatherV2 (idempotent; tfjs' kernel stays the fallback). */
export function registerWasmGather(): void {
  replaceWasmKernel('GatherV2', makeKernel);
}
