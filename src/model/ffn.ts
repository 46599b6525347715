/** BertIntermediate + BertOutput: dense → activation → (neuron mask) → dense, residual LayerNorm. */
import * as tf from '@tensorflow/tfjs';
import type { HiddenAct } from '../weights/config.js';
import { activation, linear, layerNorm } from './ops.js';
import type { LayerWeights } from './params.js';

export interface FfnArgs {
  /** [B*T, H] */
  x: tf.Tensor2D;
  B: number;
  T: number;
  act: HiddenAct;
  /** [I] of 0/1, or undefined when no neuron is masked. */
  neuronMask?: tf.Tensor1D;
  /** Site hooks, on [B,T,I] values. */
  onPre: (pre: tf.Tensor3D) => tf.Tensor3D;
  onPost: (post: tf.Tensor3D) => tf.Tensor3D;
}

export function ffn(w: LayerWeights, a: FfnArgs): tf.Tensor2D {
  const { x, B, T } = a;
  const I = w.ffnIn.b.shape[0];
  const pre = a.onPre(tf.reshape(linear(x, w.ffnIn), [B, T, I]));
  let post = activation(pre, a.act);
  if (a.neuronMask) post = tf.mul(post, a.neuronMask);
  post = a.onPost(post);
  return layerNorm(tf.add(linear(tf.reshape(post, [B * T, I]), w.ffnOut), x) as tf.Tensor2D, w.outNorm);
}
