/** BertSelfAttention + BertSelfOutput, with the attention-probabilities site and head mask. */
import * as tf from '@tensorflow/tfjs';
import { linear, layerNorm } from './ops.js';
import type { LayerWeights } from './params.js';

export interface AttentionArgs {
  /** [B*T, H] */
  x: tf.Tensor2D;
  B: number;
  T: number;
  heads: number;
  /** (1 − mask) × most-negative float32, [B,1,1,T] */
  extMask: tf.Tensor4D;
  /** [heads] of 0/1 or undefined when no head is masked (HF head_mask). */
  headMask?: tf.Tensor1D;
  /** Site hook for `attn.probs` [B,heads,T,T]. */
  onProbs: (probs: tf.Tensor4D) => tf.Tensor4D;
}

/** Returns the attention block's output after its residual LayerNorm, [B*T, H]. */
export function attention(w: LayerWeights, a: AttentionArgs): tf.Tensor2D {
  const { x, B, T, heads } = a;
  const H = x.shape[1];
  const hs = H / heads;
  const split = (t: tf.Tensor2D): tf.Tensor4D => tf.transpose(tf.reshape(t, [B, T, heads, hs]), [0, 2, 1, 3]); // [B,nh,T,hs]
  const q = split(linear(x, w.query));
  const k = tf.transpose(tf.reshape(linear(x, w.key), [B, T, heads, hs]), [0, 2, 3, 1]); // [B,nh,hs,T]
  const v = split(linear(x, w.value));
  // HF divides the scores after the product; keep the same order for the same rounding.
  const scores = tf.add(tf.div(tf.matMul(q, k), Math.sqrt(hs)), a.extMask); // [B,nh,T,T]
  let probs = tf.softmax(scores, -1) as tf.Tensor4D;
  if (a.headMask) probs = tf.mul(probs, tf.reshape(a.headMask, [1, heads, 1, 1]));
  probs = a.onProbs(probs);
  const ctx: tf.Tensor2D = tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * T, H]); // [B*T,H]
  return layerNorm(tf.add(linear(ctx, w.attnOut), x) as tf.Tensor2D, w.attnNorm);
}
