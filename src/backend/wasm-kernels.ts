/**
 * Kernels tfjs-backend-wasm lacks or runs slowly, registered once when the wasm backend is set
 * (BatchMatMul: ./matmul.ts; Slice: ./slice.ts; GatherV2: ./gather.ts; the fused GELU: ./gelu.ts;
 * the fused LayerNorm: ./layernorm.ts; Identity without a copy: ./identity.ts; NIG's accumulation: ./nig-accumulate.ts; attention's softmax: ./softmax.ts;
 * Sum over leading axes, where the native addon runs: ./sum.ts).
 *
 * `UnsortedSegmentSum` is the gradient of `tf.gather`, so without it no embedding table can be
 * trained on wasm (scripts/train-cross-encoder.ts). It is a plain loop over the wasm heap: the
 * work is one pass over the gathered gradient, small next to the matMuls around it. The sum runs
 * in segment-id order, as tfjs' cpu kernel does, so both backends add in the same order.
 */
import * as tf from './tf.js';
import { registerWasmMatMul } from './matmul.js';
import { registerWasmSlice } from './slice.js';
import { registerWasmGelu } from './gelu.js';
import { registerWasmGather } from './gather.js';
import { registerWasmLayerNorm } from './layernorm.js';
import { registerWasmIdentity } from './identity.js';
import { registerWasmNigAccumulate } from './nig-accumulate.js';
import { registerWasmSoftmax } from './softmax.js';
import { registerWasmSum } from './sum.js';

interface WasmLike {
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmLike;
  const x = args.inputs.x as tf.TensorInfo;
  const ids = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum on wasm: dtype ${x.dtype} is not supported`);
  const rows = ids.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(ids.shape.length).reduce((a, b) => a * b, 1);
  const xv = backend.readSync(x.dataId);
  const iv = backend.readSync(ids.dataId);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
  const ov = backend.typedArrayFromHeap(out);
  ov.fill(0);
  for (let r = 0; r < rows; r++) {
    const s = iv[r] as number;
    if (s < 0 || s >= numSegments) continue; // tf drops out-of-range ids
    const o = s * inner;
    const i = r * inner;
    for (let k = 0; k < inner; k++) ov[o + k] = (ov[o + k] as number) + (xv[i + k] as number);
  }
  return out;
}

/** Registers the missing kernels for `wasm` (idempotent). */
export function registerWasmKernels(): void {
  registerWasmMatMul();
  registerWasmSlice();
  registerWasmGelu();
  registerWasmGather();
  registerWasmLayerNorm();
  registerWasmIdentity();
  registerWasmNigAccumulate();
  registerWasmSoftmax();
  registerWasmSum();
  if (!tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
  }
}
