/**
 * The fused LayerNorm on wasm (src/backend/layernorm.ts, kernels/layernorm.c) against first
 * principles in float64: y = (x − mean)/√(var + eps)·γ + β with the population variance, and the
 * gradient for x, (g − mean(g) − x̂·mean(g·x̂))/σ with g = dy·γ, for row lengths with and without a
 * tail past the last 4 and inputs of rank 2 and 3; rows are independent of each other; no tensor leaks.
 * Bounds: 1e-6 relative to the row's scale for y, 1e-5 for dx (float32 sums over ≤ 384 terms).
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { fusedLayerNormActive } from '../../src/backend/layernorm.js';
import { LAYERNORM_SOURCE_SHA256 } from '../../src/backend/kernels/layernorm-wasm.js';
import { INFERENCE_OPS } from '../../src/model/ops.js';
import type { Norm } from '../../src/model/ops.js';
import { kernelSourceSha256 } from '../helpers/kernel-source.js';

function values(n: number, seed: number, scale = 1, shift = 0): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale + shift;
  });
}

/** float64 LayerNorm of each row and its gradient for x given dy. */
function reference(x: Float32Array, dy: Float32Array, gamma: Float32Array, beta: Float32Array, H: number, eps: number): { y: Float64Array; dx: Float64Array } {
  const rows = x.length / H;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const xs = Array.from(x.subarray(r * H, (r + 1) * H));
    const mean = xs.reduce((a, b) => a + b, 0) / H;
    const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / H;
    const rs = 1 / Math.sqrt(v + eps);
    const n = xs.map((t) => (t - mean) * rs);
    const g = n.map((_t, h) => (dy[r * H + h] as number) * (gamma[h] as number));
    const mg = g.reduce((a, b) => a + b, 0) / H;
    const mgn = g.reduce((a, b, h) => a + b * (n[h] as number), 0) / H;
    for (let h = 0; h < H; h++) {
      y[r * H + h] = (n[h] as number) * (gamma[h] as number) + (beta[h] as number);
      dx[r * H + h] = ((g[h] as number) - mg - (n[h] as number) * mgn) * rs;
    }
  }
  return { y, dx };
}

describe('fused LayerNorm on wasm', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  test('is active on wasm, and was built from the committed source', () => {
    expect(fusedLayerNormActive()).toBe(true);
    expect(LAYERNORM_SOURCE_SHA256).toBe(kernelSourceSha256('layernorm'));
  });

  test.each([
    [[5, 384], 1e-12],
    [[3, 7], 1e-12],
    [[2, 4, 130], 1e-5],
    [[1, 1], 1e-5],
  ] as const)('shape %j, eps %f: y and dx against float64', (shape, eps) => {
    const H = shape[shape.length - 1] as number;
    const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
    const xv = values(n, 1 + n, 3, 0.7);
    const dyv = values(n, 2 + n);
    const p: Norm = { gamma: tf.tensor1d(values(H, 3, 1, 1)), beta: tf.tensor1d(values(H, 4, 0.5)), eps };
    const before = tf.memory().numTensors;
    const [y, dx] = tf.tidy(() => {
      const x = tf.tensor(xv, [...shape]);
      const dy = tf.tensor(dyv, [...shape]);
      const out = INFERENCE_OPS.layerNorm(x, p);
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(INFERENCE_OPS.layerNorm(t, p), dy)))(x);
      return [out.dataSync(), g.dataSync()];
    });
    expect(tf.memory().numTensors).toBe(before);
    const ref = reference(xv, dyv, p.gamma.dataSync() as Float32Array, p.beta.dataSync() as Float32Array, H, eps);
    for (let i = 0; i < n; i++) {
      expect(Math.abs((y[i] as number) - (ref.y[i] as number))).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(ref.y[i] as number)));
      expect(Math.abs((dx[i] as number) - (ref.dx[i] as number))).toBeLessThanOrEqual(1e-5);
    }
    tf.dispose([p.gamma, p.beta]);
  });

  test('a row does not depend on the other rows', () => {
    const H = 23;
    const xv = values(6 * H, 9, 2);
    const p: Norm = { gamma: tf.ones([H]), beta: tf.zeros([H]), eps: 1e-12 };
    const whole = tf.tidy(() => INFERENCE_OPS.layerNorm(tf.tensor2d(xv, [6, H]), p).dataSync());
    for (const r of [0, 3, 5]) {
      const one = tf.tidy(() => INFERENCE_OPS.layerNorm(tf.tensor2d(xv.subarray(r * H, (r + 1) * H), [1, H]), p).dataSync());
      expect(Array.from(one)).toEqual(Array.from(whole.subarray(r * H, (r + 1) * H)));
    }
    tf.dispose([p.gamma, p.beta]);
  });
});
