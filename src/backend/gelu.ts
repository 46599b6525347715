/**
 * The exact (erf) GELU and its gradient as two wasm kernels (kernels/gelu.c), one pass each over
 * the activations, in place of the 5 (forward) and 12 (backward) tfjs ops that compose them, each
 * with its own pass and output tensor. Registered for the wasm backend under celens' own kernel
 * names; src/model/ops.ts uses them where they are registered and the tfjs ops elsewhere. Where
 * celens' native addon is in use (./native.ts), native/gelu.c does the same operations on 16 lanes:
 * the same bits, 4-5 times as fast.
 */
import * as tf from './tf.js';
import { GELU_WASM_BASE64 } from './kernels/gelu-wasm.js';
import { float32Only, heapBuffer, heapKernels, heapOffset, requireHeapModule, sameShape } from './heap-module.js';
import { nativeKernels } from './native.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

export const GELU_KERNEL = 'CelensGelu';
export const GELU_GRAD_KERNEL = 'CelensGeluGrad';

type Forward = (x: number, y: number, n: number) => void;
type Backward = (x: number, dy: number, dx: number, n: number) => void;

function gelu({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const x = inputs.x as tf.TensorInfo;
  float32Only(GELU_KERNEL, [x]);
  const out = b.makeOutput([...x.shape], 'float32');
  const n = x.shape.reduce((p, q) => p * q, 1);
  if (n === 0) return out;
  const native = nativeKernels();
  const heap = heapBuffer(b);
  if (native !== null && heap !== null) native.geluForward(heap, heapOffset(b, x), heapOffset(b, out), n);
  else (requireHeapModule(b, GELU_WASM_BASE64, GELU_KERNEL).gelu_forward as Forward)(heapOffset(b, x), heapOffset(b, out), n);
  return out;
}

function geluGrad({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  float32Only(GELU_GRAD_KERNEL, [x, dy]);
  sameShape(GELU_GRAD_KERNEL, ['dy', dy], ['x', x]);
  const out = b.makeOutput([...x.shape], 'float32');
  const n = x.shape.reduce((p, q) => p * q, 1);
  if (n === 0) return out;
  const native = nativeKernels();
  const heap = heapBuffer(b);
  if (native !== null && heap !== null) native.geluBackward(heap, heapOffset(b, x), heapOffset(b, dy), heapOffset(b, out), n);
  else (requireHeapModule(b, GELU_WASM_BASE64, GELU_GRAD_KERNEL).gelu_backward as Backward)(heapOffset(b, x), heapOffset(b, dy), heapOffset(b, out), n);
  return out;
}

const kernels = heapKernels(GELU_WASM_BASE64, { [GELU_KERNEL]: gelu, [GELU_GRAD_KERNEL]: geluGrad });

/** Registers both kernels for wasm (idempotent). */
export const registerWasmGelu = kernels.register;

/** Whether the active backend has the fused kernels and they can reach its memory. */
export const fusedGeluActive = kernels.active;
