/**
 * NIG against the fixture's direct-formula references (HF transformers + PyTorch): per-token,
 * summed and per-segment attributions, F(x), F(x′) and the completeness deltas, for both
 * baselines, both targets, both rules and the three sites, on cpu and wasm. Tolerance 1e-5 abs (observed ≤ 7e-7).
 */
import * as tf from '../../src/backend/tf.js';
import { nigBatch } from '../../src/attribution/nig.js';
import type { NigRule } from '../../src/attribution/nig.js';
import { baselineIds } from '../../src/attribution/baselines.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { SiteName } from '../../src/model/sites.js';
import { toInt32 } from '../../src/weights/dtypes.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, fixtureBatch, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const TOL = 1e-5;
const RULES: Record<string, NigRule> = { right: 'right', trap: 'trapezoid' };
const SITES: Record<string, 'ffn.pre' | 'ffn.post' | 'out'> = { pre: 'ffn.pre', post: 'ffn.post', out: 'out' };

describeEachBackend('NIG vs fixture', (backend) => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(FIXTURE_DIR);
  });
  afterAll(() => disposeModel(model));

  test('baseline ids are the fixture\'s', async () => {
    const refs = await reference();
    const batch = fixtureBatch(refs);
    for (const b of ['padq', 'padqp'] as const) {
      const expected = toInt32(ref(refs, `nig.baseline.${b}.input_ids`).data, {});
      expect(Array.from(baselineIds(b, batch, { pad: 0 }) as Int32Array)).toEqual(Array.from(expected));
    }
  });

  // The cpu backend is tfjs' slow reference implementation (per-element broadcasting): it runs
  // the first two combinations (both rules, chunk borders), wasm runs all eight.
  const combos = [
    ['padq', 'logit', 'right', 7],
    ['padq', 'logit', 'trap', 20],
    ['padq', 'prob', 'right', 1],
    ['padq', 'prob', 'trap', 6],
    ['padqp', 'logit', 'right', 20],
    ['padqp', 'logit', 'trap', 3],
    ['padqp', 'prob', 'right', 11],
    ['padqp', 'prob', 'trap', 20],
  ] as const;
  test.each(backend === 'wasm' ? combos : combos.slice(0, 2))('m=20 %s %s %s (chunk %d): every site, layer and row', async (b, t, r, chunk) => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const res = await nigBatch(model, fixtureBatch(refs), { baseline: b, target: t, rule: RULES[r], steps: 20, chunk, sites: ['ffn.pre', 'ffn.post', 'out'], perToken: true });
    expect(tf.memory().numTensors).toBe(before);
    const worst = { attr: 0, sum: 0, delta: 0, F: 0 };
    const F = (name: string): Float32Array => ref(refs, name).data as Float32Array;
    worst.F = Math.max(maxAbsDiff(res.map((p) => p.targetInput), F(`nig.F.input.${t}`)), maxAbsDiff(res.map((p) => p.targetBaseline), F(`nig.F.${b}.${t}`)));
    for (const [short, kind] of Object.entries(SITES)) {
      for (let l = 0; l < 3; l++) {
        const site = `layer.${l}.${kind}` as SiteName;
        const prefix = `nig.m20.${b}.${t}.${r}.${short}.layer${l}`;
        const attr = ref(refs, `${prefix}.attr`);
        const [, T, W] = attr.shape as [number, number, number];
        // Ours holds the real tokens only; padded positions must be exactly 0 in the reference.
        const padded = new Float32Array(4 * T * W);
        res.forEach((p, row) => padded.set(p.perToken?.get(site) as Float32Array, row * T * W));
        worst.attr = Math.max(worst.attr, maxAbsDiff(padded, attr.data as Float32Array));
        const sums = new Float32Array(4 * W);
        res.forEach((p, row) => sums.set(p.sum.get(site) as Float32Array, row * W));
        worst.sum = Math.max(worst.sum, maxAbsDiff(sums, F(`${prefix}.attr_sum_tokens`)));
        if (short === 'out') worst.delta = Math.max(worst.delta, maxAbsDiff(res.map((p) => p.completeness[l] as number), F(`${prefix}.delta`)));
      }
    }
    console.log(`[${backend}] ${b} ${t} ${r}: max abs error ${JSON.stringify(worst, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toExponential(2)) : v))}`);
    for (const v of Object.values(worst)) expect(v).toBeLessThanOrEqual(TOL);
  });

  test('segment sums (both backends) and the m=200 references (padq, logit; wasm)', async () => {
    const refs = await reference();
    const batch = fixtureBatch(refs);
    const m20 = await nigBatch(model, batch, { steps: 20, rule: 'right', chunk: 20 });
    for (let l = 0; l < 3; l++) {
      const seg = new Float32Array(4 * 5 * 64);
      m20.forEach((p, row) => seg.set(p.bySegment.get(`layer.${l}.ffn.pre`) as Float32Array, row * 5 * 64));
      expect(maxAbsDiff(seg, ref(refs, `nig.m20.padq.logit.right.pre.layer${l}.attr_segments`).data as Float32Array)).toBeLessThanOrEqual(TOL);
    }
    // m = 200 is 10× the work; the cpu backend (a reference implementation with per-element
    // broadcasting) takes minutes for it, so it runs on wasm, the default backend, only.
    if (backend !== 'wasm') return;
    for (const [r, rule] of Object.entries(RULES)) {
      const m200 = await nigBatch(model, batch, { steps: 200, chunk: 50, rule, sites: ['ffn.pre'] });
      for (let l = 0; l < 3; l++) {
        if (r === 'right') {
          const sums = new Float32Array(4 * 64);
          m200.forEach((p, row) => sums.set(p.sum.get(`layer.${l}.ffn.pre`) as Float32Array, row * 64));
          expect(maxAbsDiff(sums, ref(refs, `nig.m200.padq.logit.right.pre.layer${l}.attr_sum_tokens`).data as Float32Array)).toBeLessThanOrEqual(TOL);
        }
        const delta = ref(refs, `nig.m200.padq.logit.${r}.out.layer${l}.delta`).data as Float32Array;
        expect(maxAbsDiff(m200.map((p) => p.completeness[l] as number), delta)).toBeLessThanOrEqual(TOL);
      }
    }
  });
});

describe('completeness', () => {
  test('the error on every layer.{l}.out shrinks as the number of steps grows (right and trapezoid)', async () => {
    const { selectBackend } = await import('../../src/backend/select.js');
    await selectBackend('wasm');
    const refs = await reference();
    const model = await loadModel(FIXTURE_DIR);
    try {
      for (const rule of ['right', 'trapezoid'] as const) {
        const worst = async (steps: number): Promise<number[]> => {
          const res = await nigBatch(model, fixtureBatch(refs), { steps, rule, sites: ['out'], chunk: 25 });
          return [0, 1, 2].map((l) => Math.max(...res.map((p) => Math.abs(p.completeness[l] as number))));
        };
        const [e10, e25, e50] = [await worst(10), await worst(25), await worst(50)];
        for (let l = 0; l < 3; l++) {
          expect(e25[l]).toBeLessThan(e10[l] as number);
          expect(e50[l]).toBeLessThan(e25[l] as number);
        }
      }
      // Absolute, from the fixture's F(x) and F(x′): completeness is Σ of a layer's out-site
      // attributions − (F(x) − F(x′)), and with 50 trapezoid steps that sum is F(x) − F(x′) to 1% of the largest |F(x) − F(x′)| of the batch
      // (a flipped sign or a missing term would be off by the whole difference).
      const Fx = ref(refs, 'nig.F.input.logit').data as Float32Array;
      const Fb = ref(refs, 'nig.F.padq.logit').data as Float32Array;
      const res = await nigBatch(model, fixtureBatch(refs), { steps: 50, rule: 'trapezoid', sites: ['out'], chunk: 25 });
      const scale = Math.max(...res.map((_p, row) => Math.abs((Fx[row] as number) - (Fb[row] as number))));
      expect(scale).toBeGreaterThan(0.1);
      res.forEach((p, row) => {
        const dF = (Fx[row] as number) - (Fb[row] as number);
        for (let l = 0; l < 3; l++) {
          const total = (p.sum.get(`layer.${l}.out`) as Float32Array).reduce((a, v) => a + v, 0);
          expect(Math.abs((p.completeness[l] as number) - (total - dF))).toBeLessThanOrEqual(1e-5);
          expect(Math.abs(total - dF)).toBeLessThanOrEqual(0.01 * scale);
        }
      });
    } finally {
      disposeModel(model);
    }
  });
});
