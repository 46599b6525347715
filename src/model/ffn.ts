/** BertIntermediate + BertOutput: dense → activation → (neuron mask) → dense, residual LayerNorm. */
import * as tf from '../backend/tf.js';
import type { HiddenAct } from '../weights/config.js';
import type { ModelOps } from './ops.js';
import type { LayerWeights } from './params.js';

/** intermediate.dense: [B*T,H] → pre-activation [B,T,I]. */
export function ffnIn(w: LayerWeights, x: tf.Tensor2D, B: number, T: number, ops: ModelOps): tf.Tensor3D {
  return tf.reshape(ops.linear(x, w.ffnIn), [B, T, w.ffnIn.b.shape[0]]);
}

/** The activation, then the neuron mask ([I] of 0/1) if any. */
export function ffnPost(pre: tf.Tensor3D, act: HiddenAct, ops: ModelOps, neuronMask?: tf.Tensor1D): tf.Tensor3D {
  const post = ops.activation(pre, act);
  return neuronMask ? tf.mul(post, neuronMask) : post;
}

/** output.dense on the activation [B,T,I], plus the residual `a` [B*T,H], then LayerNorm → [B*T,H]. */
export function ffnFromPost(w: LayerWeights, post: tf.Tensor3D, a: tf.Tensor2D, ops: ModelOps): tf.Tensor2D {
  const [B, T, I] = post.shape;
  return ops.layerNorm(tf.add(ops.linear(tf.reshape(post, [B * T, I]), w.ffnOut), a) as tf.Tensor2D, w.outNorm);
}
