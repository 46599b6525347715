/**
 * The wasm backend's BatchMatMul (src/backend/matmul.ts) against first principles, once per kernel:
 * the WebAssembly SIMD kernel (kernels/matmul.c) and the native addon (native/matmul.c) in each
 * instruction set this CPU has (AVX-512, AVX2 + FMA, and the scalar fmaf reference):
 * every shape, transpose variant and broadcast the model and its gradients use, plus edge sizes
 * that exercise the kernel's blocks (more rows than one block of rows, a K longer than one slice) and
 * its edges (a last strip narrower than 8 columns, rows past the last 4). Reference: the product in float64
 * from the same float32 inputs; bound: |err| ≤ 4·K·2⁻²⁴·Σ|a||b| per element (a float32 sum of K
 * products, Higham's γ_K with margin), which a wrong index, a dropped term or a transposed
 * operand breaks by orders of magnitude.
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { wasmMatMulActive } from '../../src/backend/matmul.js';
import { nativeStatus, useNative } from '../../src/backend/native.js';
import type { NativeIsa } from '../../src/backend/native.js';
import { MATMUL_SOURCE_SHA256 } from '../../src/backend/kernels/matmul-wasm.js';
import { kernelSourceSha256 } from '../helpers/kernel-source.js';

/** Deterministic inputs (mulberry32), values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** float64 reference and error bound of op(A)·op(B) for 3-D (broadcast) operands. */
function reference(a: Float32Array, sa: number[], b: Float32Array, sb: number[], ta: boolean, tb: boolean): { ref: Float64Array; bound: Float64Array } {
  const [ba, a0, a1] = sa as [number, number, number];
  const [bb, b0, b1] = sb as [number, number, number];
  const M = ta ? a1 : a0;
  const K = ta ? a0 : a1;
  const N = tb ? b0 : b1;
  const batch = Math.max(ba, bb);
  const ref = new Float64Array(batch * M * N);
  const bound = new Float64Array(batch * M * N);
  for (let p = 0; p < batch; p++) {
    const oa = (ba === 1 ? 0 : p) * a0 * a1;
    const ob = (bb === 1 ? 0 : p) * b0 * b1;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        let m = 0;
        for (let k = 0; k < K; k++) {
          const x = a[oa + (ta ? k * M + i : i * K + k)] as number;
          const y = b[ob + (tb ? j * K + k : k * N + j)] as number;
          s += x * y;
          m += Math.abs(x * y);
        }
        ref[(p * M + i) * N + j] = s;
        bound[(p * M + i) * N + j] = 4 * K * 2 ** -24 * m + 1e-30;
      }
  }
  return { ref, bound };
}

// [batchA, batchB, M, K, N, transposeA, transposeB]
const CASES: Array<[number, number, number, number, number, boolean, boolean]> = [
  [24, 24, 16, 8, 16, false, false], // scores = q·kᵀ (k stored transposed)
  [24, 24, 16, 16, 8, false, false], // ctx = probs·v
  [24, 24, 16, 8, 16, false, true], // gradients: dy·bᵀ
  [24, 24, 16, 16, 8, true, false], // gradients: aᵀ·dy
  [6, 6, 16, 16, 8, true, true],
  [1, 1, 37, 19, 45, false, false], // one dense matrix (the linears)
  [1, 1, 64, 32, 96, false, true],
  [5, 1, 9, 7, 13, false, false], // B shared by every batch
  [1, 5, 9, 7, 13, true, true], // A shared
  [3, 3, 1, 1, 1, false, false],
  [2, 2, 3, 5, 7, true, false],
  [2, 2, 4, 0, 8, false, false], // K = 0: zeros
  [1, 1, 261, 530, 21, false, false], // two row blocks, three K slices (the second adds onto C), a 5-column strip, one edge row
  [1, 1, 261, 530, 21, true, true],
  [2, 1, 70, 300, 19, false, true],
  [1, 2, 259, 257, 9, true, false],
];

/** The kernels to test: WebAssembly always; the addon's instruction sets where it loads and the CPU has them. */
const NATIVE_ISAS: NativeIsa[] = (() => {
  if (!useNative(true)) return [];
  const best = nativeStatus().isa;
  return best === 'avx512' ? ['avx512', 'avx2', 'scalar'] : ['avx2', 'scalar'];
})();
const BEST_ISA = NATIVE_ISAS[0];
const KERNELS: Array<'wasm' | NativeIsa> = ['wasm', ...NATIVE_ISAS];

/** Runs `fn` with `kernel` doing the matMuls, then puts the default (the best native set, or wasm) back. */
function withKernel<T>(kernel: 'wasm' | NativeIsa, fn: () => T): T {
  if (kernel === 'wasm') useNative(false);
  else useNative(kernel);
  try {
    return fn();
  } finally {
    useNative(BEST_ISA ?? false);
  }
}

describe('native matMul addon', () => {
  test('is built and used where CI runs (x86-64 with a C compiler), unless CELENS_NATIVE=0', () => {
    const status = nativeStatus();
    if (process.env.CI === undefined || process.arch !== 'x64' || process.env.CELENS_NATIVE === '0') return;
    expect(status).toEqual({ isa: expect.stringMatching(/^avx/), why: '' });
  });

  (BEST_ISA === undefined ? test.skip : test)('every instruction set gives the same bits (one fma per term, in k order)', async () => {
    await selectBackend('wasm');
    for (const [ba, bb, M, K, N, ta, tb] of CASES) {
      const a = tf.tensor3d(values(ba * M * K, 5 + K), (ta ? [ba, K, M] : [ba, M, K]) as [number, number, number]);
      const b = tf.tensor3d(values(bb * K * N, 6 + M), (tb ? [bb, N, K] : [bb, K, N]) as [number, number, number]);
      const bits = NATIVE_ISAS.map((isa) => withKernel(isa, () => Buffer.from(tf.tidy(() => tf.matMul(a, b, ta, tb)).dataSync().buffer)));
      for (const other of bits.slice(1)) expect(other.equals(bits[0] as Buffer)).toBe(true);
      tf.dispose([a, b]);
    }
  });

  (BEST_ISA === undefined ? test.skip : test)('refuses a range outside the buffer, a bad batch or a non-buffer, with its own message', async () => {
    const { createRequire } = await import('node:module');
    const { join } = await import('node:path');
    const addon = createRequire(import.meta.url)(join(process.cwd(), 'native/build/Release/celens_native.node')) as { batchMatMul(...args: unknown[]): void };
    const buf = new ArrayBuffer(4 * 100);
    expect(() => addon.batchMatMul(buf, 0, 0, 0, 1, 1, 5, 5, 5, 0, 0)).not.toThrow();
    expect(() => addon.batchMatMul(buf, 0, 0, 4 * 80, 1, 1, 5, 5, 5, 0, 0)).toThrow(/runs past the end of the buffer/);
    expect(() => addon.batchMatMul(buf, 0, 0, 0, 2, 3, 2, 2, 2, 0, 0)).toThrow(/batch size must be 1 or the other side's/);
    expect(() => addon.batchMatMul(new Float32Array(4), 0, 0, 0, 1, 1, 1, 1, 1, 0, 0)).toThrow(/must be an ArrayBuffer/);
    expect(() => addon.batchMatMul(buf, 2, 0, 0, 1, 1, 1, 1, 1, 0, 0)).toThrow(/multiples of 4 bytes/);
    expect(() => addon.batchMatMul(buf, -4, 0, 0, 1, 1, 1, 1, 1, 0, 0)).toThrow(/non-negative integers/);
  });
});

describe.each(KERNELS)('BatchMatMul kernel: %s', (kernel) => {
  beforeAll(async () => {
    await selectBackend('wasm');
    if (kernel === 'wasm') useNative(false);
    else useNative(kernel);
  });
  afterAll(() => {
    useNative(BEST_ISA ?? false);
  });

  test('is active on wasm, and was built from the committed source', () => {
    expect(wasmMatMulActive()).toBe(true);
    expect(MATMUL_SOURCE_SHA256).toBe(kernelSourceSha256('matmul'));
    expect(nativeStatus().isa).toBe(kernel === 'wasm' ? null : kernel);
  });

  test.each(CASES)('batch %i×%i, M %i K %i N %i, transposeA %s transposeB %s', (ba, bb, M, K, N, ta, tb) => {
    const sa = ta ? [ba, K, M] : [ba, M, K];
    const sb = tb ? [bb, N, K] : [bb, K, N];
    const av = values(sa.reduce((x, y) => x * y, 1), 1 + M);
    const bv = values(sb.reduce((x, y) => x * y, 1), 2 + N);
    const before = tf.memory().numTensors;
    const a = tf.tensor3d(av, sa as [number, number, number]);
    const b = tf.tensor3d(bv, sb as [number, number, number]);
    const c = tf.matMul(a, b, ta, tb);
    expect(c.shape).toEqual([Math.max(ba, bb), M, N]);
    const got = c.dataSync();
    const { ref, bound } = reference(av, sa, bv, sb, ta, tb);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (ref[i] as number)) / (bound[i] as number));
    expect(worst).toBeLessThanOrEqual(1);
    tf.dispose([a, b, c]);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('B stored transposed gives the same bits as B (the linears keep only HF\'s [out, in])', () => {
    for (const [M, K, N] of [[37, 530, 45], [256, 384, 24], [5, 7, 8]] as const) {
      const a = tf.tensor2d(values(M * K, 21), [M, K]);
      const b = tf.tensor2d(values(K * N, 22), [K, N]);
      const bT = tf.transpose(b);
      const plain = tf.matMul(a, b);
      const viaT = tf.matMul(a, bT, false, true);
      expect(Buffer.from((viaT.dataSync() as Float32Array).buffer).equals(Buffer.from((plain.dataSync() as Float32Array).buffer))).toBe(true);
      tf.dispose([a, b, bT, plain, viaT]);
    }
  });

  test('A stored transposed gives the same bits as A (a weight\'s gradient xᵀ·dy reads x in place)', () => {
    for (const [M, K, N] of [[37, 530, 45], [256, 3072, 24], [5, 7, 8]] as const) {
      const a = tf.tensor2d(values(M * K, 23), [M, K]);
      const b = tf.tensor2d(values(K * N, 24), [K, N]);
      const aT = tf.transpose(a);
      const plain = tf.matMul(a, b);
      const viaT = tf.matMul(aT, b, true, false);
      expect(Buffer.from((viaT.dataSync() as Float32Array).buffer).equals(Buffer.from((plain.dataSync() as Float32Array).buffer))).toBe(true);
      tf.dispose([a, b, aT, plain, viaT]);
    }
  });

  test('an element does not depend on its position, the batch size or the split', () => {
    // Same inputs, computed as one batch of 7, as single matrices, and row by row: bit-identical.
    // (Worker count and chunking rely on this.)
    const [B, M, K, N] = [7, 13, 21, 19];
    const a = tf.tensor3d(values(B * M * K, 11), [B, M, K]);
    const b = tf.tensor3d(values(B * K * N, 12), [B, K, N]);
    const whole = tf.matMul(a, b).dataSync();
    for (let p = 0; p < B; p++) {
      const ap = tf.slice(a, [p, 0, 0], [1, M, K]);
      const bp = tf.slice(b, [p, 0, 0], [1, K, N]);
      const one = tf.matMul(ap, bp).dataSync();
      expect(Array.from(one)).toEqual(Array.from(whole.subarray(p * M * N, (p + 1) * M * N)));
      for (const i of [0, 5, 12]) {
        const row = tf.matMul(tf.slice(ap, [0, i, 0], [1, 1, K]), bp).dataSync();
        expect(Array.from(row)).toEqual(Array.from(whole.subarray((p * M + i) * N, (p * M + i + 1) * N)));
      }
    }
    tf.dispose([a, b]);
  });

  test('an element does not depend on its block, K slice or lane', () => {
    // A matrix of two row blocks and three K slices, against single rows and column windows
    // that put the same elements in other rows, strips and lanes: bit-identical.
    const [M, K, N] = [261, 530, 23];
    const a = tf.tensor2d(values(M * K, 21), [M, K]);
    const b = tf.tensor2d(values(K * N, 22), [K, N]);
    const whole = tf.matMul(a, b).dataSync();
    for (const i of [0, 3, 255, 256, 260]) {
      const row = tf.matMul(tf.slice(a, [i, 0], [1, K]), b).dataSync();
      expect(Array.from(row)).toEqual(Array.from(whole.subarray(i * N, (i + 1) * N)));
    }
    for (const [j, w] of [[3, 8], [16, 7], [5, 13]] as const) {
      const part = tf.matMul(a, tf.slice(b, [0, j], [K, w])).dataSync();
      for (let i = 0; i < M; i++) expect(Array.from(part.subarray(i * w, (i + 1) * w))).toEqual(Array.from(whole.subarray(i * N + j, i * N + j + w)));
    }
    const viaT = tf.matMul(a, tf.transpose(b), false, true).dataSync();
    expect(Array.from(viaT)).toEqual(Array.from(whole));
    tf.dispose([a, b]);
  });

  test('4-D operands (batch × heads) and broadcasting of a single matrix keep tfjs shapes', () => {
    const a = tf.tensor4d(values(2 * 3 * 5 * 4, 3), [2, 3, 5, 4]);
    const w = tf.tensor2d(values(4 * 6, 4), [4, 6]);
    const c = tf.matMul(a, w as unknown as tf.Tensor4D);
    expect(c.shape).toEqual([2, 3, 5, 6]);
    const flat = tf.matMul(tf.reshape(a, [30, 4]) as tf.Tensor2D, w);
    expect(Array.from(c.dataSync())).toEqual(Array.from(flat.dataSync()));
    tf.dispose([a, w, c, flat]);
  });

  test('a mismatched inner dimension is tfjs\' own error', () => {
    const a = tf.zeros([2, 3, 4]);
    const b = tf.zeros([2, 5, 6]);
    expect(() => tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });
});
