/**
 * NIG's per-chunk path sum on wasm (src/backend/nig-accumulate.ts, kernels/nigacc.c) against the
 * tfjs ops it replaces (pathSumOps, on the same backend): the same bits for every rule, with and
 * without a previous point and an accumulator, 1–3 points per chunk, sizes that are not multiples
 * of the SIMD width; and against the sum written out in float64.
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { nigAccumulateActive, NIG_ACCUMULATE_KERNEL } from '../../src/backend/nig-accumulate.js';
import { NIGACC_SOURCE_SHA256 } from '../../src/backend/kernels/nigacc-wasm.js';
import { pathSum, pathSumOps } from '../../src/attribution/path-sum.js';
import type { PathSumRule } from '../../src/attribution/path-sum.js';
import { kernelSourceSha256 } from '../helpers/kernel-source.js';

/** Deterministic values with a spread of magnitudes and signs (and exact zeros). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, (_v, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (i % 17 === 5) return 0;
    return ((s / 2 ** 32 - 0.5) * 10 ** ((s % 7) - 3));
  });
}

const bits = (t: tf.Tensor): string => Buffer.from((t.dataSync() as Float32Array).buffer).toString('hex');

beforeAll(async () => {
  await selectBackend('wasm');
});

test('is active on wasm, and was built from the committed source', () => {
  expect(nigAccumulateActive()).toBe(true);
  expect(NIGACC_SOURCE_SHA256).toBe(kernelSourceSha256('nigacc'));
});

const CASES: Array<[PathSumRule, number, boolean, boolean, number[]]> = [];
for (const rule of ['right', 'left', 'trapezoid'] as const) {
  for (const C of [1, 2, 3]) for (const prev of [false, true]) for (const acc of [false, true]) CASES.push([rule, C, prev, acc, C === 2 ? [1, 3, 7] : [2, 5, 3]]);
}

test.each(CASES)('%s rule, %i points, previous point %s, accumulator %s, shape %j: the same bits as the tfjs ops, and the float64 sum', (rule, C, hasPrev, hasAcc, shape) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const yv = values(C * n, 1 + C);
  const gv = values(C * n, 7 + C);
  const pyv = values(n, 11);
  const pgv = values(n, 13);
  const av = values(n, 17);
  const before = tf.memory().numTensors;
  const y = tf.tensor(yv, [C, ...shape]);
  const g = tf.tensor(gv, [C, ...shape]);
  const prev = hasPrev ? { y: tf.tensor(pyv, [1, ...shape]), g: tf.tensor(pgv, [1, ...shape]) } : undefined;
  const acc = hasAcc ? tf.tensor(av, shape) : undefined;
  const fused = pathSum(y, g, rule, prev, acc);
  const ops = pathSumOps(y, g, rule, prev, acc);
  expect(fused.shape).toEqual(shape);
  expect(bits(fused)).toBe(bits(ops));
  // First principles in float64: Σ_k w_k (y_k − y_{k−1}) (+ acc).
  const got = fused.dataSync();
  for (let i = 0; i < n; i++) {
    let yp = hasPrev ? (pyv[i] as number) : (yv[i] as number);
    let gp = hasPrev ? (pgv[i] as number) : (gv[i] as number);
    let want = hasAcc ? (av[i] as number) : 0;
    let scale = Math.abs(want);
    for (let k = 0; k < C; k++) {
      const yk = yv[k * n + i] as number;
      const gk = gv[k * n + i] as number;
      const w = rule === 'right' ? gk : rule === 'left' ? gp : (gk + gp) / 2;
      want += w * (yk - yp);
      scale += Math.abs(w) * (Math.abs(yk) + Math.abs(yp));
      yp = yk;
      gp = gk;
    }
    expect(Math.abs((got[i] as number) - want)).toBeLessThanOrEqual(4 * 2 ** -24 * scale + 1e-45);
  }
  tf.dispose([y, g, fused, ops, ...(prev ? [prev.y, prev.g] : []), ...(acc ? [acc] : [])]);
  expect(tf.memory().numTensors).toBe(before);
});

test('refuses inputs that do not fit, naming the kernel', () => {
  const y = tf.zeros([2, 3]);
  const g = tf.zeros([2, 4]);
  expect(() => tf.engine().runKernel(NIG_ACCUMULATE_KERNEL, { y, g }, { points: 2, rule: 2, shape: [3] })).toThrow(NIG_ACCUMULATE_KERNEL);
  const yi = tf.zeros([2, 3], 'int32');
  expect(() => tf.engine().runKernel(NIG_ACCUMULATE_KERNEL, { y: yi, g: yi }, { points: 2, rule: 2, shape: [3] })).toThrow('float32 only');
  tf.dispose([y, g, yi]);
});
