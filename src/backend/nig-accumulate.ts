/**
 * NIG's per-chunk accumulation (src/attribution/nig.ts) as one wasm kernel (kernels/nigacc.c):
 * one pass over a chunk's captures and gradients per site instead of ~15 tfjs ops, each with its
 * own pass and output tensor. The same float32 operations in the same order, so the same bits
 * (test/backend/nig-accumulate.test.ts). Registered for wasm under celens' kernel name; nig.ts
 * uses it where it is active and the tfjs ops elsewhere.
 */
import * as tf from './tf.js';
import { NIGACC_WASM_BASE64 } from './kernels/nigacc-wasm.js';
import { float32Only, heapKernels, heapOffset, requireHeapModule } from './heap-module.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

export const NIG_ACCUMULATE_KERNEL = 'CelensNigAccumulate';

/** The quadrature rules, numbered as kernels/nigacc.c numbers them. */
export const NIG_RULE_CODES = { right: 0, left: 1, trapezoid: 2 } as const;

type Accumulate = (y: number, g: number, prevY: number, prevG: number, acc: number, out: number, C: number, n: number, rule: number) => void;

function nigAccumulate({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const b = backend as WasmBackendLike;
  const { y, g, prevY, prevG, acc } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { points, rule, shape } = attrs as { points: number; rule: number; shape: number[] };
  if (y === undefined || g === undefined) throw new Error(`${NIG_ACCUMULATE_KERNEL}: needs y and g`);
  const given = [y, g, prevY, prevG, acc].filter((t): t is tf.TensorInfo => t !== undefined);
  float32Only(NIG_ACCUMULATE_KERNEL, given);
  const n = shape.reduce((p, q) => p * q, 1);
  const size = (t: tf.TensorInfo): number => t.shape.reduce((p, q) => p * q, 1);
  if (size(y) !== points * n || size(g) !== points * n) throw new Error(`${NIG_ACCUMULATE_KERNEL}: y and g must hold ${points} points of [${shape.join(',')}]`);
  for (const t of [prevY, prevG, acc]) if (t !== undefined && size(t) !== n) throw new Error(`${NIG_ACCUMULATE_KERNEL}: previous point and accumulator must be [${shape.join(',')}]`);
  if ((prevY === undefined) !== (prevG === undefined)) throw new Error(`${NIG_ACCUMULATE_KERNEL}: give both prevY and prevG, or neither`);
  const out = b.makeOutput([...shape], 'float32');
  if (n > 0 && points > 0) {
    const at = (t: tf.TensorInfo | undefined): number => (t === undefined ? 0 : heapOffset(b, t));
    (requireHeapModule(b, NIGACC_WASM_BASE64, NIG_ACCUMULATE_KERNEL).nig_accumulate as Accumulate)(at(y), at(g), at(prevY), at(prevG), at(acc), heapOffset(b, out), points, n, rule);
  }
  return out;
}

const kernels = heapKernels(NIGACC_WASM_BASE64, { [NIG_ACCUMULATE_KERNEL]: nigAccumulate });

/** Registers the kernel for wasm (idempotent). */
export const registerWasmNigAccumulate = kernels.register;

/** Whether the active backend has the kernel and it can reach its memory. */
export const nigAccumulateActive = kernels.active;

/**
 * acc + Σ_k w_k (y_k − y_{k−1}) over the path points of y and g ([points, ...shape]), y_{−1} =
 * prev.y (or y_0 on the path's first chunk); acc omitted = 0. On the kernel's backend only.
 */
export function nigAccumulateFused(
  y: tf.Tensor,
  g: tf.Tensor,
  rule: keyof typeof NIG_RULE_CODES,
  prev?: { y: tf.Tensor; g: tf.Tensor },
  acc?: tf.Tensor,
): tf.Tensor {
  const inputs: Record<string, tf.Tensor> = { y, g, ...(prev && { prevY: prev.y, prevG: prev.g }), ...(acc && { acc }) };
  return tf.engine().runKernel(NIG_ACCUMULATE_KERNEL, inputs as tf.NamedTensorMap, { points: y.shape[0] ?? 0, rule: NIG_RULE_CODES[rule], shape: y.shape.slice(1) }) as tf.Tensor;
}
