/**
 * The few primitives BERT is made of, written for exact gradients and for wasm speed.
 *
 * `linear` keeps each weight once, in HF's [out,in] layout: the forward multiplies by it transposed
 * and the backward by it as stored (celens' wasm matMul reads either layout at the same speed), and
 * tfjs gets a custom gradient of plain 2-D matMuls instead of matMul's default gradient. The weight
 * is a constant of the custom gradient: celens differentiates activations, not parameters. Training,
 * which needs weight gradients too, brings its own primitives (src/training/ops.ts) through a
 * model's `ops` (see ModelOps).
 */
import * as tf from '../backend/tf.js';
import type { HiddenAct } from '../weights/config.js';
import { fusedGeluActive, GELU_GRAD_KERNEL, GELU_KERNEL } from '../backend/gelu.js';
import { fusedLayerNormActive, LAYERNORM_GRAD_KERNEL, LAYERNORM_KERNEL } from '../backend/layernorm.js';
import { fusedSoftmaxActive, SOFTMAX_GRAD_KERNEL } from '../backend/softmax.js';

export interface Linear {
  /**
   * [in, out], where a model's own ops read it (training keeps it as its variable); the inference
   * model leaves it out and multiplies by wT transposed, which the wasm matMul reads in place.
   */
  w?: tf.Tensor2D;
  /** [out, in] (HF layout). */
  wT: tf.Tensor2D;
  /** [out] */
  b: tf.Tensor1D;
}

export interface Norm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  eps: number;
}

/** y = x W^T + b for x [N, in] → [N, out]. */
function linear(x: tf.Tensor2D, p: Linear): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const xx = args[0] as tf.Tensor2D;
    const value = tf.add(p.w ? tf.matMul(xx, p.w) : tf.matMul(xx, p.wT, false, true), p.b) as tf.Tensor2D;
    return { value, gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, p.wT)] };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * The primitives every stage of the forward calls. A model carries its own (BertModel.ops) when it
 * needs other gradients or other arithmetic — training differentiates the weights too, and keeps
 * the composed GELU so that a run's bytes do not depend on the engine's kernels — and otherwise
 * runs these.
 */
export interface ModelOps {
  linear(x: tf.Tensor2D, p: Linear): tf.Tensor2D;
  layerNorm<R extends tf.Rank>(x: tf.Tensor<R>, p: Norm): tf.Tensor<R>;
  activation<R extends tf.Rank>(x: tf.Tensor<R>, act: HiddenAct): tf.Tensor<R>;
  /** Attention's softmax(scores / scale + mask) over the keys. @default maskedSoftmax */
  attentionSoftmax?(scores: tf.Tensor4D, scale: number, extMask: tf.Tensor4D): tf.Tensor4D;
}

/** LayerNorm over the last axis, population variance, as torch.nn.LayerNorm. */
function layerNorm<R extends tf.Rank>(x: tf.Tensor<R>, p: Norm): tf.Tensor<R> {
  // A custom gradient for x alone: the tape keeps x̂ and 1/σ instead of every intermediate of
  // `moments`, and the backward pass frees its own temporaries (tidy) instead of holding them
  // until the whole gradient is done. Same maths: dx = (g − mean(g) − x̂·mean(g·x̂)) / σ, g = dy·γ.
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, save] = args as [tf.Tensor<R>, tf.GradSaveFunc];
    const { normed, rstd } = normalize(xx, p.eps);
    save([normed, rstd]);
    return {
      value: tf.add(tf.mul(normed, p.gamma), p.beta) as tf.Tensor<R>,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const [sn, sr] = saved as [tf.Tensor, tf.Tensor];
        const axis = sn.rank - 1;
        const g = tf.mul(dy, p.gamma);
        const centred = tf.sub(g, tf.mean(g, axis, true));
        return [tf.mul(tf.sub(centred, tf.mul(sn, tf.mean(tf.mul(g, sn), axis, true))), sr)];
      }),
    };
  });
  return f(x) as tf.Tensor<R>;
}

/**
 * layerNorm's maths as two fused kernels (src/backend/layernorm.ts: one pass per step, the same
 * formulas, sums in another order), where the backend has them; tfjs ops elsewhere.
 */
function layerNormFused<R extends tf.Rank>(x: tf.Tensor<R>, p: Norm): tf.Tensor<R> {
  if (x.dtype !== 'float32' || x.rank === 0 || !fusedLayerNormActive()) return layerNorm(x, p);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, save] = args as [tf.Tensor<R>, tf.GradSaveFunc];
    const [y, normed, rstd] = tf.engine().runKernel(LAYERNORM_KERNEL, { x: xx, gamma: p.gamma, beta: p.beta }, { eps: p.eps }) as unknown as [tf.Tensor<R>, tf.Tensor, tf.Tensor];
    save([normed, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.engine().runKernel(LAYERNORM_GRAD_KERNEL, { dy, normed: saved[0] as tf.Tensor, rstd: saved[1] as tf.Tensor, gamma: p.gamma }) as tf.Tensor],
    };
  });
  return f(x) as tf.Tensor<R>;
}

/** (x − mean) / σ over the last axis, and 1/σ: LayerNorm before its scale and shift. */
export function normalize(x: tf.Tensor, eps: number): { normed: tf.Tensor; rstd: tf.Tensor } {
  const { mean, variance } = tf.moments(x, x.rank - 1, true);
  const rstd = tf.rsqrt(tf.add(variance, eps));
  return { normed: tf.mul(tf.sub(x, mean), rstd), rstd };
}

const SQRT_HALF = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** x·Φ(x) with Φ from erf; its gradient Φ(x) + x·φ(x) is written out, so the tape keeps x alone. */
function geluErf<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  const cdf = (t: tf.Tensor): tf.Tensor => tf.mul(tf.add(1, tf.erf(tf.mul(t, SQRT_HALF))), 0.5);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, save] = args as [tf.Tensor<R>, tf.GradSaveFunc];
    save([xx]);
    return {
      value: tf.mul(tf.mul(xx, 0.5), tf.add(1, tf.erf(tf.mul(xx, SQRT_HALF)))) as tf.Tensor<R>,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => {
        const s = saved[0] as tf.Tensor;
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(s), -0.5)), INV_SQRT_2PI);
        return [tf.mul(dy, tf.add(cdf(s), tf.mul(s, pdf)))];
      }),
    };
  });
  return f(x) as tf.Tensor<R>;
}

/**
 * The erf GELU as two fused kernels (src/backend/gelu.ts: one pass forward, one backward, the same
 * float32 operations with erf and exp to within 2 ulp), where the backend has them; tfjs ops elsewhere.
 */
function geluFused<R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> {
  if (x.dtype !== 'float32' || !fusedGeluActive()) return geluErf(x);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xx, save] = args as [tf.Tensor<R>, tf.GradSaveFunc];
    save([xx]);
    return {
      value: tf.engine().runKernel(GELU_KERNEL, { x: xx }) as tf.Tensor<R>,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.engine().runKernel(GELU_GRAD_KERNEL, { x: saved[0] as tf.Tensor, dy }) as tf.Tensor],
    };
  });
  return f(x) as tf.Tensor<R>;
}

/** HF ACT2FN: `gelu` is the exact erf form, `gelu_new` the tanh approximation. */
export function activation<R extends tf.Rank>(x: tf.Tensor<R>, act: HiddenAct): tf.Tensor<R> {
  switch (act) {
    case 'gelu':
      return geluErf(x);
    case 'gelu_new': {
      const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
    case 'relu':
      return tf.relu(x);
  }
}

/** `activation`, with the erf GELU from the fused kernels where the backend has them. */
function fastActivation<R extends tf.Rank>(x: tf.Tensor<R>, act: HiddenAct): tf.Tensor<R> {
  return act === 'gelu' ? geluFused(x) : activation(x, act);
}

/**
 * softmax(s / scale + mask) over the last axis with a custom gradient for s, `grad(dy, p, scale)`,
 * so the tape keeps p alone. HF divides the scores after the product; the same order gives the same
 * rounding.
 */
function softmaxWithGrad(grad: (dy: tf.Tensor, p: tf.Tensor, scale: number) => tf.Tensor) {
  return (s: tf.Tensor4D, scale: number, extMask: tf.Tensor4D): tf.Tensor4D => {
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const [ss, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
      const p = tf.softmax(tf.add(tf.div(ss, scale), extMask), -1) as tf.Tensor4D;
      save([p]);
      return { value: p, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [grad(dy, saved[0] as tf.Tensor, scale)] };
    });
    return f(s) as tf.Tensor4D;
  };
}

/**
 * softmax(s / scale + mask) over the last axis; the gradient written out (dy·p − p·Σ dy·p, over
 * scale) in tfjs ops, which the backward pass frees as it goes.
 */
export const maskedSoftmax = softmaxWithGrad((dy, p, scale) =>
  tf.tidy(() => {
    const dyp = tf.mul(dy, p);
    return tf.div(tf.sub(dyp, tf.mul(p, tf.sum(dyp, -1, true))), scale);
  }),
);

/** maskedSoftmax with the gradient as one kernel (src/backend/softmax.ts). */
const maskedSoftmaxKernel = softmaxWithGrad((dy, p, scale) => tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { p, dy }, { scale }) as tf.Tensor);

/**
 * maskedSoftmax with its gradient as one fused kernel (one pass per row, the same formula, the row
 * sum in another order) where the backend has it; the forward is the same ops, so the same
 * probabilities.
 */
function maskedSoftmaxFused(s: tf.Tensor4D, scale: number, extMask: tf.Tensor4D): tf.Tensor4D {
  return s.dtype === 'float32' && fusedSoftmaxActive() ? maskedSoftmaxKernel(s, scale, extMask) : maskedSoftmax(s, scale, extMask);
}

/** Inference: gradients for activations only (linear, layerNorm above), the fused LayerNorm, GELU and softmax gradient. */
export const INFERENCE_OPS: ModelOps = { linear, layerNorm: layerNormFused, activation: fastActivation, attentionSoftmax: maskedSoftmaxFused };
