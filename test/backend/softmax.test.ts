/**
 * The gradient of attention's masked softmax on wasm (src/backend/softmax.ts, kernels/softmax.c)
 * against dx = (dy·p − p·Σ dy·p) / scale written out in float64, for row lengths with and without
 * a SIMD tail; and through INFERENCE_OPS (the same probabilities as maskedSoftmax, bit for bit,
 * and its gradient) against maskedSoftmax's tfjs ops.
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { fusedSoftmaxActive, SOFTMAX_GRAD_KERNEL } from '../../src/backend/softmax.js';
import { SOFTMAX_SOURCE_SHA256 } from '../../src/backend/kernels/softmax-wasm.js';
import { INFERENCE_OPS, maskedSoftmax } from '../../src/model/ops.js';
import { kernelSourceSha256 } from '../helpers/kernel-source.js';

function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 6;
  });
}

/** Rows of softmax probabilities, in float32 (what the forward hands the gradient). */
function probabilities(rows: number, T: number, seed: number): Float32Array {
  const x = values(rows * T, seed);
  const p = new Float32Array(rows * T);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < T; j++) m = Math.max(m, x[r * T + j] as number);
    let s = 0;
    for (let j = 0; j < T; j++) s += Math.exp((x[r * T + j] as number) - m);
    for (let j = 0; j < T; j++) p[r * T + j] = Math.exp((x[r * T + j] as number) - m) / s;
    if (r % 3 === 1) p[r * T + T - 1] = 0; // a masked key
  }
  return p;
}

beforeAll(async () => {
  await selectBackend('wasm');
});

test('is active on wasm, and was built from the committed source', () => {
  expect(fusedSoftmaxActive()).toBe(true);
  expect(SOFTMAX_SOURCE_SHA256).toBe(kernelSourceSha256('softmax'));
});

test.each([[2, 3, 8, 8], [1, 2, 5, 7], [2, 1, 3, 130], [1, 1, 1, 1]])('[%i,%i,%i,%i]: dx = (dy·p − p·Σ dy·p) / scale, against float64', (B, H, Tq, T) => {
  const rows = B * H * Tq;
  const pv = probabilities(rows, T, 3 + T);
  const dyv = values(rows * T, 11 + T);
  const scale = Math.sqrt(32);
  const p = tf.tensor4d(pv, [B, H, Tq, T]);
  const dy = tf.tensor4d(dyv, [B, H, Tq, T]);
  const before = tf.memory().numTensors;
  const dx = tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { p, dy }, { scale }) as tf.Tensor;
  const got = dx.dataSync();
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let mag = 0;
    for (let j = 0; j < T; j++) {
      s += (dyv[r * T + j] as number) * (pv[r * T + j] as number);
      mag += Math.abs((dyv[r * T + j] as number) * (pv[r * T + j] as number));
    }
    for (let j = 0; j < T; j++) {
      const i = r * T + j;
      const pj = pv[i] as number;
      const want = ((dyv[i] as number) * pj - pj * s) / scale;
      const tol = (8 * 2 ** -24 * (Math.abs(dyv[i] as number) * pj + pj * mag)) / scale + 1e-30;
      expect(Math.abs((got[i] as number) - want)).toBeLessThanOrEqual(tol);
    }
  }
  dx.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([p, dy]);
});

test('refuses a dy that does not match p, naming the kernel', () => {
  const p = tf.zeros([1, 1, 2, 4]);
  const dy = tf.zeros([1, 1, 2, 3]);
  expect(() => tf.engine().runKernel(SOFTMAX_GRAD_KERNEL, { p, dy }, { scale: 1 })).toThrow(SOFTMAX_GRAD_KERNEL);
  tf.dispose([p, dy]);
});

test('INFERENCE_OPS.attentionSoftmax: maskedSoftmax\'s probabilities bit for bit, its gradient within float32 rounding', () => {
  const [B, H, T] = [2, 3, 9];
  const s = tf.tensor4d(values(B * H * T * T, 5), [B, H, T, T]);
  const maskRow = Array.from({ length: B * T }, (_v, i) => (i % T > 6 ? -3.4028234663852886e38 : 0));
  const ext = tf.tensor4d(maskRow, [B, 1, 1, T]);
  const w = tf.tensor4d(values(B * H * T * T, 9), [B, H, T, T]);
  const fused = INFERENCE_OPS.attentionSoftmax;
  expect(fused).toBeDefined();
  const scale = Math.sqrt(8);
  const run = (f: (x: tf.Tensor4D, sc: number, m: tf.Tensor4D) => tf.Tensor4D): { p: Float32Array; g: Float32Array } => {
    const p = f(s, scale, ext);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D, scale, ext), w)))(s);
    const out = { p: p.dataSync() as Float32Array, g: g.dataSync() as Float32Array };
    tf.dispose([p, g]);
    return out;
  };
  const a = run(fused as (x: tf.Tensor4D, sc: number, m: tf.Tensor4D) => tf.Tensor4D);
  const b = run(maskedSoftmax);
  expect(Buffer.from(a.p.buffer).equals(Buffer.from(b.p.buffer))).toBe(true);
  const gmax = b.g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < a.g.length; i++) expect(Math.abs((a.g[i] as number) - (b.g[i] as number))).toBeLessThanOrEqual(1e-6 * gmax + 1e-12);
  // A masked key gets no gradient.
  for (let i = 0; i < a.g.length; i++) if (i % T > 6) expect(a.g[i] === 0).toBe(true);
  tf.dispose([s, ext, w]);
});
