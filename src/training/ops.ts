/**
 * The primitives of a trainable model: the inference model's `linear` and `layerNorm` with
 * gradients for their parameters too, so that `tf.variableGrads` reaches every weight. A
 * TrainableBert carries them as its model's `ops`; the forward (src/model/bert.ts) is unchanged.
 */
import * as tf from '../backend/tf.js';
import { activation, normalize } from '../model/ops.js';
import { nativeKernels } from '../backend/native.js';
import type { Linear, ModelOps, Norm } from '../model/ops.js';

/**
 * y = x W^T + b with gradients for x, w and b: dx = dy·wᵀ, dw = xᵀ·dy, db = Σ dy over rows.
 * Where celens' native matMul runs, the products read the transposed operand in place (it packs
 * either layout at full speed); elsewhere they run on explicit transposes, as tfjs' own matMul
 * gradient (transposeA/B) runs several times slower on wasm's kernels for the long K of dw. Both
 * give the same bits (each element's sum is the same in either layout; a 30-step training run
 * gives the same bytes both ways, on both kernels). `p.wT` is not read.
 */
function trainableLinear(x: tf.Tensor2D, p: Linear): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, ww, bb, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    // `save` keeps x and w alive for the backward pass past the per-layer tidy scopes.
    save([xx, ww]);
    const value = tf.add(tf.matMul(xx, ww), bb) as tf.Tensor2D;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        if (nativeKernels() !== null && tf.getBackend() === 'wasm') return [tf.matMul(d, sw, false, true), tf.matMul(sx, d, true, false), tf.sum(d, 0)];
        return [tf.matMul(d, tf.transpose(sw)), tf.matMul(tf.transpose(sx), d), tf.sum(d, 0)];
      },
    };
  });
  if (p.w === undefined) throw new Error('a trainable linear needs its [in, out] weight (Linear.w)');
  return f(x, p.w, p.b) as tf.Tensor2D;
}

/** LayerNorm with gradients for x, gamma and beta: tfjs' own gradient of the composed ops. */
function trainableLayerNorm<R extends tf.Rank>(x: tf.Tensor<R>, p: Norm): tf.Tensor<R> {
  return tf.add(tf.mul(normalize(x, p.eps).normed, p.gamma), p.beta) as tf.Tensor<R>;
}

/** The ops of a trainable model (BertModel.ops); the activation is tfjs' composed ops on every backend. */
export const TRAINING_OPS: ModelOps = { linear: trainableLinear, layerNorm: trainableLayerNorm, activation };
