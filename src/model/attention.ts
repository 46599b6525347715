/**
 * BertSelfAttention + BertSelfOutput, with the attention-probabilities site and head mask, in two
 * parts around the `attn.out` site: the block's output projection (self-output dense; its dropout
 * is the identity in eval), then the residual add and LayerNorm.
 */
import * as tf from '../backend/tf.js';
import { maskedSoftmax } from './ops.js';
import type { ModelOps } from './ops.js';
import type { LayerWeights } from './params.js';

export interface AttentionArgs {
  /** [B*T, H] */
  x: tf.Tensor2D;
  B: number;
  T: number;
  heads: number;
  /** (1 − mask) × most-negative float32, [B,1,1,T] */
  extMask: tf.Tensor4D;
  /** The model's primitives. */
  ops: ModelOps;
  /** [heads] of 0/1 or undefined when no head is masked (HF head_mask). */
  headMask?: tf.Tensor1D;
  /** Site hook for `attn.probs` [B,heads,T,T]. */
  onProbs: (probs: tf.Tensor4D) => tf.Tensor4D;
  /**
   * Pairs per chunk of the scores-to-context step, each chunk in its own scope, so that its four
   * [pairs, heads, T, T] tensors (scores, scaled, masked, probabilities) exist for a few pairs at a
   * time instead of the whole batch. The forward sets it only where nothing reads `attn.probs`
   * (no site hook) and it runs the inference ops. Every element is computed by the same ops as
   * unchunked, so the values are the same bits (and a gradient through the slices and the concat
   * is exact too). Undefined: the whole batch at once.
   */
  chunkPairs?: number;
}

/** Scores [B,heads,T,T] of at most this many floats (8 MiB) per chunk: see AttentionArgs.chunkPairs. */
export const ATTENTION_CHUNK_FLOATS = 1 << 21;

/** LayerNorm(out + x): the residual add and LayerNorm that close the attention block, [B*T, H]. */
export function attentionResidual(w: LayerWeights, out: tf.Tensor2D, x: tf.Tensor2D, ops: ModelOps): tf.Tensor2D {
  return ops.layerNorm(tf.add(out, x) as tf.Tensor2D, w.attnNorm);
}

/** The attention block's output projection (self-output dense), before the residual add, [B*T, H]. */
export function attentionOutput(w: LayerWeights, a: AttentionArgs): tf.Tensor2D {
  const { x, B, T, heads, ops } = a;
  const H = x.shape[1];
  const hs = H / heads;
  const split = (t: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, heads, hs]), [0, 2, 1, 3]); // [B,nh,T,hs]
  const q = split(ops.linear(x, w.query));
  const k = tf.transpose(tf.reshape(ops.linear(x, w.key), [B, T, heads, hs]), [0, 2, 3, 1]) as tf.Tensor4D; // [B,nh,hs,T]
  const v = split(ops.linear(x, w.value));
  // softmax(q·kᵀ / √hs + mask) · v → [b,nh,T,hs] for b pairs.
  const context = (qc: tf.Tensor4D, kc: tf.Tensor4D, vc: tf.Tensor4D, mask: tf.Tensor4D): tf.Tensor4D => {
    let probs = (ops.attentionSoftmax ?? maskedSoftmax)(tf.matMul(qc, kc), Math.sqrt(hs), mask); // [b,nh,T,T]
    if (a.headMask) probs = tf.mul(probs, tf.reshape(a.headMask, [1, heads, 1, 1]));
    return tf.matMul(a.onProbs(probs), vc);
  };
  const n = a.chunkPairs ?? B;
  let heads4: tf.Tensor4D;
  if (n >= B) {
    heads4 = context(q, k, v, a.extMask);
  } else {
    const parts: tf.Tensor4D[] = [];
    for (let b0 = 0; b0 < B; b0 += n) {
      const m = Math.min(n, B - b0);
      const rows = <R extends tf.Tensor4D>(t: R): R => tf.slice(t, [b0, 0, 0, 0], [m, -1, -1, -1]);
      parts.push(tf.tidy(() => context(rows(q), rows(k), rows(v), rows(a.extMask))));
    }
    heads4 = tf.concat(parts, 0);
    tf.dispose(parts);
  }
  const ctx: tf.Tensor2D = tf.reshape(tf.transpose(heads4, [0, 2, 1, 3]), [B * T, H]); // [B*T,H]
  return ops.linear(ctx, w.attnOut);
}
