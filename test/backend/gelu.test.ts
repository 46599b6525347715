/**
 * The fused erf GELU on wasm (src/backend/gelu.ts, kernels/gelu.c) against first principles:
 * erf in float64 from its everywhere-positive series, erf(x) = 2/√π·e^{−x²}·Σ 2ⁿx^{2n+1}/(2n+1)!!,
 * so no cancellation and ~1e-15 relative error. Bounds: erf within 2 float32 ulp,
 * GELU within 2 ulp of |x| plus 2 ulp of the result, the derivative within 3e-7 absolute. Also: every
 * length (the 16-, 4- and 1-element paths), NaN and ±∞, the kernel behind the inference model's
 * activation and its gradient, and the training model keeping tfjs' composed ops. Run once on the
 * WebAssembly kernel and once on the native addon's (native/gelu.c) where it is in use, which must
 * also give the WebAssembly kernel's bits on every float32 class (normal, subnormal, ±0, ±∞).
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { fusedGeluActive, GELU_GRAD_KERNEL, GELU_KERNEL } from '../../src/backend/gelu.js';
import { nativeStatus, useNative } from '../../src/backend/native.js';
import { GELU_SOURCE_SHA256, GELU_WASM_BASE64 } from '../../src/backend/kernels/gelu-wasm.js';
import { activation, INFERENCE_OPS } from '../../src/model/ops.js';
import { TRAINING_OPS } from '../../src/training/ops.js';
import { kernelSourceSha256 } from '../helpers/kernel-source.js';

function erf64(x: number): number {
  const a = Math.abs(x);
  if (a > 6) return Math.sign(x);
  let term = a;
  let sum = a;
  for (let n = 1; n < 400 && term > sum * 1e-18; n++) {
    term *= (2 * a * a) / (2 * n + 1);
    sum += term;
  }
  return (Math.sign(x) * 2 * Math.exp(-a * a) * sum) / Math.sqrt(Math.PI);
}
const gelu64 = (x: number): number => 0.5 * x * (1 + erf64(x / Math.SQRT2));
const geluGrad64 = (x: number): number => 0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
const ULP = 2 ** -23;

/** The few WebAssembly globals used here (the project's lib settings carry no WebAssembly types). */
interface WebAssemblyApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** float32 grid over [lo, hi] plus the points where the code changes branch. */
function grid(lo: number, hi: number, n: number): Float32Array {
  const v = Array.from({ length: n }, (_u, i) => lo + ((hi - lo) * i) / (n - 1));
  for (const s of [1, -1]) for (const x of [0, 1e-30, 1e-7, 0.5, 1, 1.0000001, Math.SQRT2, 2.5, 4, 4 * Math.SQRT2, 5.7, 13.3, 40]) v.push(s * x);
  return Float32Array.from(v);
}

function kernel(x: Float32Array): Float32Array {
  const t = tf.tensor1d(x);
  const y = tf.engine().runKernel(GELU_KERNEL, { x: t }) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  tf.dispose([t, y]);
  return out;
}

function kernelGrad(x: Float32Array, dy: Float32Array): Float32Array {
  const xt = tf.tensor1d(x);
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(INFERENCE_OPS.activation(v, 'gelu'), tf.tensor1d(dy))))(xt);
  const out = g.dataSync() as Float32Array;
  tf.dispose([xt, g]);
  return out;
}

const NATIVE = useNative(true);
const KERNELS = NATIVE ? ['wasm', 'native'] : ['wasm'];

/** Forward and backward through the registered kernels, with `native` on or off. */
function both(x: Float32Array, dy: Float32Array, native: boolean): [Float32Array, Float32Array] {
  useNative(native);
  try {
    return tf.tidy(() => {
      const xt = tf.tensor1d(x);
      const y = tf.engine().runKernel(GELU_KERNEL, { x: xt }) as tf.Tensor;
      const dx = tf.engine().runKernel(GELU_GRAD_KERNEL, { x: xt, dy: tf.tensor1d(dy) }) as tf.Tensor;
      return [y.dataSync() as Float32Array, dx.dataSync() as Float32Array];
    });
  } finally {
    useNative(true);
  }
}

(NATIVE ? test : test.skip)('the native GELU gives the WebAssembly kernel\'s bits, forward and backward', async () => {
  await selectBackend('wasm');
  // Every float32 class: a grid, then random bit patterns (normals of every exponent, subnormals, ±0, ±∞, NaN).
  const bits = new Uint32Array(200_003);
  let s = 12345;
  for (let i = 0; i < bits.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    bits[i] = s;
  }
  const random = new Float32Array(bits.buffer);
  for (const x of [grid(-12, 12, 100_001), random]) {
    const dy = Float32Array.from(x, (_v, i) => random[(i * 7) % random.length] as number);
    const [y0, dx0] = both(x, dy, false);
    const [y1, dx1] = both(x, dy, true);
    for (const [a, b] of [[y0, y1], [dx0, dx1]] as const) {
      const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
      const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
      let differ = 0;
      for (let i = 0; i < a.length; i++) if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) differ++;
      expect(differ).toBe(0);
    }
  }
});

describe.each(KERNELS)('fused erf GELU on wasm, %s kernel', (which) => {
  beforeAll(async () => {
    await selectBackend('wasm');
    useNative(which === 'native');
  });
  afterAll(() => {
    useNative(true);
  });

  test('is active on wasm, and was built from the committed source', () => {
    expect(fusedGeluActive()).toBe(true);
    expect(GELU_SOURCE_SHA256).toBe(kernelSourceSha256('gelu'));
    expect(nativeStatus().isa !== null).toBe(which === 'native');
  });

  test('GELU(x) = x·Φ(x) within 2 ulp of |x| + 2 ulp of the result, on [−12, 12]', () => {
    const x = grid(-12, 12, 60001);
    const y = kernel(x);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      const ref = gelu64(xi);
      worst = Math.max(worst, Math.abs((y[i] as number) - ref) / (2 * ULP * (Math.abs(xi) / 2 + Math.abs(ref)) + 1e-45));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  test('the erf inside is within 2 ulp, on both branches, the clamp and subnormal-small x', () => {
    // The module's own erf export, on its own memory (no tfjs kernel runs erf alone).
    const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const memory = new WA.Memory({ initial: 16 });
    const bytes = Uint8Array.from(atob(GELU_WASM_BASE64), (ch) => ch.charCodeAt(0));
    const erf = new WA.Instance(new WA.Module(bytes), { env: { memory } }).exports.erf_forward as (x: number, y: number, n: number) => void;
    const x = grid(-7, 7, 100001);
    const heap = new Float32Array(memory.buffer);
    heap.set(x, 0);
    erf(0, 4 * x.length, x.length);
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const ref = erf64(x[i] as number);
      worst = Math.max(worst, Math.abs((heap[x.length + i] as number) - ref) / (2 * ULP * Math.abs(ref) + 1e-45));
    }
    expect(worst).toBeLessThanOrEqual(1);
  });

  test('the gradient equals Φ(x) + x·φ(x) (times dy) within 3e-7·|dy|', () => {
    const x = grid(-12, 12, 30001);
    const dy = Float32Array.from(x, (_v, i) => ((i % 7) - 3) / 2);
    const g = kernelGrad(x, dy);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((g[i] as number) - (dy[i] as number) * geluGrad64(x[i] as number)) / (3e-7 * Math.max(Math.abs(dy[i] as number), 1e-30)));
    expect(worst).toBeLessThanOrEqual(1);
  });

  test('every length gives the same element values (the 16-, 4- and 1-element paths agree)', () => {
    const x = grid(-5, 5, 37);
    const whole = kernel(x);
    for (let n = 0; n <= 37; n++) expect(Array.from(kernel(x.subarray(0, n)))).toEqual(Array.from(whole.subarray(0, n)));
    for (const s of [1, 2, 3, 5, 17]) expect(Array.from(kernel(x.subarray(s)))).toEqual(Array.from(whole.subarray(s)));
  });

  test('NaN stays NaN; ±∞ give ∞ and 0 (GELU) as x·Φ(x) does', () => {
    const y = kernel(Float32Array.from([Number.NaN, Infinity, -Infinity, 0, -0]));
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(Infinity);
    // −∞·0.5·(1 + erf(−∞)) = −∞·0 is NaN in IEEE arithmetic; tfjs' composed ops give NaN too.
    const composed = tf.tidy(() => activation(tf.tensor1d([-Infinity]), 'gelu').dataSync()[0]);
    expect(Number.isNaN(y[2])).toBe(Number.isNaN(composed));
    expect(y[3]).toBe(0);
  });

  test('agrees with tfjs\' composed ops to 2e-7·(1 + |x|), and leaks no tensor', () => {
    const x = grid(-8, 8, 5001);
    const before = tf.memory().numTensors;
    const [fused, composed] = tf.tidy(() => {
      const t = tf.tensor1d(x);
      return [INFERENCE_OPS.activation(t, 'gelu').dataSync(), activation(t, 'gelu').dataSync()];
    });
    for (let i = 0; i < x.length; i++) expect(Math.abs((fused[i] as number) - (composed[i] as number))).toBeLessThanOrEqual(2e-7 * (1 + Math.abs(x[i] as number)));
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(INFERENCE_OPS.activation(v, 'gelu')))(tf.tensor1d(x)).dataSync());
    expect(g.length).toBe(x.length);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('the training model keeps tfjs\' composed ops, bit for bit', () => {
    const x = grid(-4, 4, 999);
    const [a, b] = tf.tidy(() => {
      const t = tf.tensor1d(x);
      return [TRAINING_OPS.activation(t, 'gelu').dataSync(), activation(t, 'gelu').dataSync()];
    });
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});
