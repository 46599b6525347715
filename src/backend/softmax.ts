/**
 * The gradient of attention's scaled, masked softmax as a wasm kernel (kernels/softmax.c), one pass
 * per row in place of five tfjs ops. Registered for the wasm backend under celens' kernel name;
 * src/model/ops.ts uses it for inference where it is registered, and the tfjs ops elsewhere. The
 * forward stays tfjs' (XNNPACK's softmax beat a SIMD128 one written here: 0.55 vs 0.66 ms for
 * [2, 12, 128, 128] on this project's machine).
 */
import * as tf from './tf.js';
import { SOFTMAX_WASM_BASE64 } from './kernels/softmax-wasm.js';
import { float32Only, heapKernels, heapOffset, requireHeapModule, sameShape } from './heap-module.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

export const SOFTMAX_GRAD_KERNEL = 'CelensMaskedSoftmaxGrad';

type Backward = (p: number, dy: number, dx: number, rows: number, T: number, scale: number) => void;

function scoresShape(kernel: string, x: tf.TensorInfo): [number, number, number, number] {
  if (x.shape.length !== 4) throw new Error(`${kernel}: probabilities must be [batch, heads, queries, keys], got [${x.shape.join(',')}]`);
  return x.shape as [number, number, number, number];
}

function backward({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const p = inputs.p as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  float32Only(SOFTMAX_GRAD_KERNEL, [p, dy]);
  const [B, heads, Tq, T] = scoresShape(SOFTMAX_GRAD_KERNEL, p);
  sameShape(SOFTMAX_GRAD_KERNEL, ['dy', dy], ['p', p]);
  const out = b.makeOutput([...p.shape], 'float32');
  const rows = B * heads * Tq;
  if (rows > 0 && T > 0) {
    const { scale } = attrs as { scale: number };
    (requireHeapModule(b, SOFTMAX_WASM_BASE64, SOFTMAX_GRAD_KERNEL).softmax_backward as Backward)(heapOffset(b, p), heapOffset(b, dy), heapOffset(b, out), rows, T, scale);
  }
  return out;
}

const kernels = heapKernels(SOFTMAX_WASM_BASE64, { [SOFTMAX_GRAD_KERNEL]: backward });

/** Registers the kernel for wasm (idempotent). */
export const registerWasmSoftmax = kernels.register;

/** Whether the active backend has the kernel and it can reach its memory. */
export const fusedSoftmaxActive = kernels.active;
