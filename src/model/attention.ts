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
}

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
  const k = tf.transpose(tf.reshape(ops.linear(x, w.key), [B, T, heads, hs]), [0, 2, 3, 1]); // [B,nh,hs,T]
  const v = split(ops.linear(x, w.value));
  let probs = (ops.attentionSoftmax ?? maskedSoftmax)(tf.matMul(q, k), Math.sqrt(hs), a.extMask); // [B,nh,T,T]
  if (a.headMask) probs = tf.mul(probs, tf.reshape(a.headMask, [1, heads, 1, 1]));
  probs = a.onProbs(probs);
  const ctx: tf.Tensor2D = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * T, H]); // [B*T,H]
  return ops.linear(ctx, w.attnOut);
}
