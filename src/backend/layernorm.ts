/**
 * LayerNorm over the last axis and its gradient for x as two wasm kernels (kernels/layernorm.c):
 * one kernel each in place of the ~10 tfjs ops (moments, rsqrt, scale and shift; the three means
 * of the backward) that compose them, each its own pass and tensor. Registered for the wasm
 * backend under celens' own names; src/model/ops.ts uses them where they are registered.
 */
import * as tf from './tf.js';
import { LAYERNORM_WASM_BASE64 } from './kernels/layernorm-wasm.js';
import { float32Only, heapKernels, heapOffset, requireHeapModule, sameShape } from './heap-module.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

export const LAYERNORM_KERNEL = 'CelensLayerNorm';
export const LAYERNORM_GRAD_KERNEL = 'CelensLayerNormGrad';

type Forward = (x: number, gamma: number, beta: number, y: number, normed: number, rstd: number, rows: number, H: number, eps: number) => void;
type Backward = (dy: number, normed: number, rstd: number, gamma: number, dx: number, rows: number, H: number) => void;

function check(kernel: string, ts: tf.TensorInfo[], H: number): void {
  float32Only(kernel, ts);
  if (H === 0) throw new Error(`${kernel}: the last axis is empty`);
}

/** inputs x [..., H], gamma [H], beta [H]; attrs eps → [y, normed (both like x), rstd [..., 1]]. */
function layerNorm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const b = backend as WasmBackendLike;
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const H = x.shape[x.shape.length - 1] as number;
  check(LAYERNORM_KERNEL, [x, gamma, beta], H);
  if (gamma.shape.join() !== String(H) || beta.shape.join() !== String(H)) throw new Error(`${LAYERNORM_KERNEL}: gamma [${gamma.shape.join(',')}] and beta [${beta.shape.join(',')}] must be [${H}]`);
  const rows = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
  const y = b.makeOutput([...x.shape], 'float32');
  const normed = b.makeOutput([...x.shape], 'float32');
  const rstd = b.makeOutput([...x.shape.slice(0, -1), 1], 'float32');
  const eps = (attrs as { eps: number }).eps;
  if (rows > 0) (requireHeapModule(b, LAYERNORM_WASM_BASE64, LAYERNORM_KERNEL).layernorm_forward as Forward)(heapOffset(b, x), heapOffset(b, gamma), heapOffset(b, beta), heapOffset(b, y), heapOffset(b, normed), heapOffset(b, rstd), rows, H, eps);
  return [y, normed, rstd];
}

/** inputs dy, normed [..., H], rstd [..., 1], gamma [H] → dx [..., H]. */
function layerNormGrad({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const { dy, normed, rstd, gamma } = inputs as { dy: tf.TensorInfo; normed: tf.TensorInfo; rstd: tf.TensorInfo; gamma: tf.TensorInfo };
  const H = dy.shape[dy.shape.length - 1] as number;
  check(LAYERNORM_GRAD_KERNEL, [dy, normed, rstd, gamma], H);
  sameShape(LAYERNORM_GRAD_KERNEL, ['dy', dy], ['normed', normed]);
  const rows = dy.shape.slice(0, -1).reduce((p, q) => p * q, 1);
  const dx = b.makeOutput([...dy.shape], 'float32');
  if (rows > 0) (requireHeapModule(b, LAYERNORM_WASM_BASE64, LAYERNORM_GRAD_KERNEL).layernorm_backward as Backward)(heapOffset(b, dy), heapOffset(b, normed), heapOffset(b, rstd), heapOffset(b, gamma), heapOffset(b, dx), rows, H);
  return dx;
}

const kernels = heapKernels(LAYERNORM_WASM_BASE64, { [LAYERNORM_KERNEL]: layerNorm, [LAYERNORM_GRAD_KERNEL]: layerNormGrad });

/** Registers both kernels for wasm (idempotent). */
export const registerWasmLayerNorm = kernels.register;

/** Whether the active backend has the fused kernels and they can reach its memory. */
export const fusedLayerNormActive = kernels.active;
