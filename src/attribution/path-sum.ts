/**
 * One chunk of NIG's Riemann–Stieltjes sum for one site: C path points y_0 … y_{C−1} and their
 * gradients g ([C, ...shape]), after y_{−1}, g_{−1} (the previous chunk's last point; on the path's
 * first chunk, y_0 and g_0 again, so that point adds nothing):
 *
 *     acc + Σ_k w_k (y_k − y_{k−1}),   w_k = g_k (right), g_{k−1} (left), ½(g_k + g_{k−1}) (trapezoid)
 *
 * On wasm one kernel pass (backend/nig-accumulate.ts) does what pathSumOps does with tfjs ops, with
 * the same float32 operations in the same order (same bits; tested); elsewhere the ops run.
 */
import * as tf from '../backend/tf.js';
import { nigAccumulateActive, nigAccumulateFused } from '../backend/nig-accumulate.js';

export type PathSumRule = 'right' | 'left' | 'trapezoid';

/** The previous chunk's last point, [1, ...shape] each. */
export interface PathPoint {
  y: tf.Tensor;
  g: tf.Tensor;
}

/** acc (or 0) plus this chunk's sum, [...shape]. */
export function pathSum(y: tf.Tensor, g: tf.Tensor, rule: PathSumRule, prev?: PathPoint, acc?: tf.Tensor): tf.Tensor {
  return nigAccumulateActive() ? nigAccumulateFused(y, g, rule, prev, acc) : pathSumOps(y, g, rule, prev, acc);
}

/** pathSum with tfjs ops, for any backend. */
export function pathSumOps(y: tf.Tensor, g: tf.Tensor, rule: PathSumRule, prev?: PathPoint, acc?: tf.Tensor): tf.Tensor {
  const C = y.shape[0] as number;
  return tf.tidy(() => {
    const Y = tf.concat([prev?.y ?? tf.slice(y, [0], [1]), y], 0);
    const G = tf.concat([prev?.g ?? tf.slice(g, [0], [1]), g], 0);
    const dY = tf.sub(tf.slice(Y, [1], [C]), tf.slice(Y, [0], [C]));
    const gEnd = tf.slice(G, [1], [C]);
    const gStart = tf.slice(G, [0], [C]);
    const weight = rule === 'right' ? gEnd : rule === 'left' ? gStart : tf.mul(tf.add(gEnd, gStart), 0.5);
    const sum = tf.sum(tf.mul(weight, dY), 0);
    return acc ? tf.add(acc, sum) : sum;
  });
}
