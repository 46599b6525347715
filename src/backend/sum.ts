/**
 * Sum over leading axes for the wasm backend, natively (native/reduce.c): the gradient of a bias
 * or of a LayerNorm parameter sums [rows, cols] over its rows, and tfjs-backend-wasm does that by
 * transposing the whole input so that the reduced axes come last, then adding each output's
 * elements in order. The native kernel adds each column over the rows in that same order, from
 * 0, without the transpose: the same bits as tfjs' kernel (tested), which stays the fallback for
 * everything else (other axes, other dtypes, no native addon). On every path a sum over an empty
 * tensor is 0 (tfjs' kernel left such an output uninitialised).
 */
import * as tf from './tf.js';
import { replaceWasmKernel } from './replace-kernel.js';
import { heapBuffer, heapOffset } from './heap-module.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';
import { nativeKernels } from './native.js';

function makeKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as WasmBackendLike;
    const x = args.inputs.x as tf.TensorInfo;
    const size = x.shape.reduce((p, q) => p * q, 1);
    if (size === 0) {
      // tfjs' kernel skips its loop for an empty input and leaves the output as the heap held it;
      // a sum over nothing is 0.
      const out = fallback(args as never) as tf.TensorInfo;
      backend.typedArrayFromHeap(out).fill(0);
      return out;
    }
    const native = nativeKernels();
    if (native === null || x.dtype !== 'float32') return fallback(args as never);
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    // tfjs moves the reduced axes, in the order given, behind the others and adds in that order:
    // the native order (row by row over the leading axes) is the same for axes 0, 1, …, k − 1 as given.
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const k = axes.length;
    if (k === 0 || k >= x.shape.length || axes.some((a, i) => a !== i)) return fallback(args as never);
    const rest = x.shape.slice(k);
    const rows = x.shape.slice(0, k).reduce((p, q) => p * q, 1);
    const cols = rest.reduce((p, q) => p * q, 1);
    const out = backend.makeOutput(keepDims ? [...Array<number>(k).fill(1), ...rest] : rest, 'float32');
    const heap = heapBuffer(backend);
    if (heap === null) throw new Error('Sum: this wasm backend does not expose its memory');
    native.columnSum(heap, heapOffset(backend, x), heapOffset(backend, out), rows, cols);
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Replaces wasm's Sum (idempotent; tfjs' kernel stays the fallback). Registered with or without the native addon. */
export function registerWasmSum(): void {
  replaceWasmKernel('Sum', makeKernel);
}
