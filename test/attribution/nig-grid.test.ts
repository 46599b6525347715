/**
 * NIG on a caller's α grid (`alphas`), against first principles on the fixture model: the engine
 * (chunks, carried-over points) equals the rule's Riemann–Stieltjes sum formed by hand from plain
 * runModel passes on the same non-uniform grid; a fine non-uniform grid adds up to F(x) − F(x′) and
 * agrees with a fine uniform one; grids that miss an end, or are not ascending, are refused (the
 * old engine took Gauss–Legendre nodes and silently dropped [0, α_0] and [α_last, 1]).
 */
import * as tf from '../../src/backend/tf.js';
import { attribute, unpad } from '../../src/attribution/attribute.js';
import { nigBatch } from '../../src/attribution/nig.js';
import { NIG_RULES } from '../../src/attribution/nig.js';
import { checkPathAlphas, gaussLegendre } from '../../src/attribution/quadrature.js';
import { selectBackend } from '../../src/backend/select.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { SiteName } from '../../src/model/sites.js';
import { FIXTURE_DIR, fixtureBatch, maxAbsDiff, reference } from '../helpers/fixture.js';
import { nigByHand, pathPoints, sumTokens } from '../helpers/nig-by-hand.js';
import type { PathPoint } from '../helpers/nig-by-hand.js';

/** Uneven on purpose: short steps near both ends, long ones in between, one very short one. */
const GRID = [0, 0.01, 0.03, 0.07, 0.15, 0.3, 0.31, 0.5, 0.62, 0.8, 0.95, 1];
const SITES: SiteName[] = ['layer.0.ffn.pre', 'layer.1.ffn.pre', 'layer.2.ffn.pre', 'layer.0.out', 'layer.1.out', 'layer.2.out'];

let model: LoadedModel;
beforeAll(async () => {
  await selectBackend('wasm');
  model = await loadModel(FIXTURE_DIR);
});
afterAll(() => disposeModel(model));

describe('NIG on a non-uniform α grid', () => {
  let points: PathPoint[];
  beforeAll(async () => {
    points = await pathPoints(model, fixtureBatch(await reference()), 'padq', GRID, SITES);
  });

  test.each(NIG_RULES.flatMap((rule) => [3, 5, GRID.length].map((chunk) => [rule, chunk] as const)))(
    '%s rule, chunk %d: the engine is Σ_k w(g)·(y_{k+1} − y_k) on the grid, per neuron, F at both ends, completeness',
    async (rule, chunk) => {
      const batch = fixtureBatch(await reference());
      const { batch: P, seqLen: T } = batch;
      const before = tf.memory().numTensors;
      const res = await nigBatch(model, batch, { alphas: GRID, rule, chunk, sites: ['ffn.pre', 'out'] });
      expect(tf.memory().numTensors).toBe(before);
      const [first, last] = [points[0] as PathPoint, points[GRID.length - 1] as PathPoint];
      expect(maxAbsDiff(res.map((p) => p.targetBaseline), first.F)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(res.map((p) => p.targetInput), last.F)).toBeLessThanOrEqual(1e-5);
      let worst = 0;
      for (const site of SITES) {
        const byHand = sumTokens(nigByHand(points, site, rule), P, T);
        res.forEach((p, row) => (worst = Math.max(worst, maxAbsDiff(p.sum.get(site) as Float32Array, byHand[row] as Float64Array))));
      }
      if (chunk === 3) console.log(`${rule}: max |engine − by hand| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6); // observed ≤ 1.4e-8
      for (let l = 0; l < 3; l++) {
        const byHand = sumTokens(nigByHand(points, `layer.${l}.out`, rule), P, T);
        res.forEach((p, row) => {
          const change = (last.F[row] as number) - (first.F[row] as number);
          const error = (byHand[row] as Float64Array).reduce((a, v) => a + v, 0) - change;
          expect(Math.abs((p.completeness[l] as number) - error)).toBeLessThanOrEqual(1e-4);
          expect(Math.abs((p.completenessRelative[l] as number) - error / Math.abs(change))).toBeLessThanOrEqual(1e-4);
        });
      }
    },
    60_000,
  );
});

describe('a fine non-uniform grid', () => {
  test('adds up to F(x) − F(x′) and agrees with a fine uniform grid (trapezoid)', async () => {
    const batch = fixtureBatch(await reference());
    // Chebyshev–Lobatto points: dense at both ends, sparse in the middle.
    const m = 120;
    const cheb = Array.from({ length: m }, (_v, k) => (k === 0 ? 0 : k === m - 1 ? 1 : (1 - Math.cos((Math.PI * k) / (m - 1))) / 2));
    const uneven = await nigBatch(model, batch, { alphas: cheb, rule: 'trapezoid', sites: ['ffn.pre'], chunk: 40 });
    const uniform = await nigBatch(model, batch, { steps: 200, rule: 'trapezoid', sites: ['ffn.pre'], chunk: 50 });
    let scale = 0;
    let apart = 0;
    // F changes by 0.01 to 0.43 across the fixture's rows; each layer's attributions add up to that
    // change within 0.1% of it (observed ≤ 1.7e-4; 20 right-rule points miss by up to 18%).
    expect(Math.max(...uneven.map((p) => Math.abs(p.targetInput - p.targetBaseline)))).toBeGreaterThan(0.1);
    uneven.forEach((p, row) => {
      const change = p.targetInput - p.targetBaseline;
      expect(change).not.toBe(0);
      for (let l = 0; l < 3; l++) {
        expect(Math.abs(p.completenessRelative[l] as number)).toBeLessThanOrEqual(1e-3);
        expect(Math.abs(p.completeness[l] as number)).toBeLessThanOrEqual(1e-3 * Math.abs(change));
        const site: SiteName = `layer.${l}.ffn.pre`;
        const u = uniform[row]?.sum.get(site) as Float32Array;
        scale = Math.max(scale, ...Array.from(u, Math.abs));
        apart = Math.max(apart, maxAbsDiff(p.sum.get(site) as Float32Array, u));
      }
    });
    console.log(`fine grids: max |uneven − uniform| ${apart.toExponential(2)} of max |NIG| ${scale.toExponential(2)}`);
    expect(apart).toBeLessThanOrEqual(1e-3 * scale); // observed 9e-6 of 0.17
  }, 120_000);
});

describe('the public attribute()', () => {
  test('takes a grid: the numbers of the engine on it; layer IG refuses one', async () => {
    const batch = fixtureBatch(await reference());
    const pairs = unpad(batch);
    const grid = [0, 0.2, 0.25, 0.7, 1];
    const viaApi = await attribute(model, pairs, { alphas: grid, rule: 'right', sites: ['ffn.pre'], pairsPerBatch: 4 });
    const direct = await nigBatch(model, batch, { alphas: grid, rule: 'right', sites: ['ffn.pre'] });
    viaApi.forEach((p, row) => {
      for (const [site, v] of p.sum) expect(maxAbsDiff(v, direct[row]?.sum.get(site) as Float32Array)).toBeLessThanOrEqual(1e-6);
    });
    await expect(attribute(model, pairs, { alphas: [0.2, 1] })).rejects.toThrow(/start at 0 and end at 1/);
    await expect(attribute(model, pairs, { method: 'layer-ig', alphas: grid })).rejects.toThrow(/alphas is a NIG option/);
  });
});

describe('grids the engine refuses', () => {
  test.each([
    ['Gauss–Legendre nodes (no ends)', gaussLegendre(8).alphas, /start at 0 and end at 1/],
    ['no 0', [0.1, 0.5, 1], /start at 0 and end at 1/],
    ['no 1', [0, 0.5, 0.9], /start at 0 and end at 1/],
    ['beyond 1', [0, 0.5, 1, 1.2], /start at 0 and end at 1/],
    ['descending', [1, 0.5, 0], /strictly ascending/],
    ['unsorted', [0, 0.6, 0.4, 1], /strictly ascending: alphas\[2\] = 0.4 after alphas\[1\] = 0.6/],
    ['a repeated point', [0, 0.5, 0.5, 1], /strictly ascending/],
    ['NaN', [0, NaN, 1], /finite/],
    ['one point', [0], /at least 2 points/],
  ] as const)('%s', async (_name, alphas, message) => {
    expect(() => checkPathAlphas(alphas)).toThrow(message);
    const before = tf.memory().numTensors;
    await expect(nigBatch(model, fixtureBatch(await reference()), { alphas, sites: ['out'] })).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('steps that disagree with the grid', async () => {
    await expect(nigBatch(model, fixtureBatch(await reference()), { alphas: [0, 0.5, 1], steps: 20 })).rejects.toThrow(/steps \(20\) and alphas \(3 points\) disagree/);
    expect(checkPathAlphas([0, 0.25, 1])).toEqual([0, 0.25, 1]);
  });
});
