/**
 * The pruning engine against the fixture: masked scores equal `prune.logits.*` (zero ablation),
 * restarting from cached residual streams changes no bit, mean ablation with all-zero means is
 * zero ablation, and no tensor is left behind.
 */
import * as tf from '../../src/backend/tf.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { parseMasks } from '../../src/model/masks.js';
import { intervention } from '../../src/pruning/ablate.js';
import { makeEngine, scoreCell, scoreUnpruned } from '../../src/pruning/engine.js';
import { ffnMeans } from '../../src/pruning/means.js';
import { planCachePoints, restartPoint, startPoint } from '../../src/pruning/prefix.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, maxAbsDiff, reference, ref } from '../helpers/fixture.js';
import { fixtureEncodings, fixtureMaskJson } from './helpers.js';

const TOL = 1e-5;

test('stage points and the cache plan', () => {
  const m = (l: number, ffn: number[], heads: number[] = []): Array<{ ffn: number[]; heads: number[] }> =>
    Array.from({ length: 3 }, (_v, i) => (i === l ? { ffn, heads } : { ffn: [], heads: [] }));
  expect(startPoint(m(0, [1]), 3)).toBe(1);
  expect(startPoint(m(2, [1]), 3)).toBe(5);
  expect(startPoint(m(1, [1], [0]), 3)).toBe(2);
  expect(startPoint(m(1, []), 3)).toBe(6);
  expect(restartPoint([3, 5], 4)).toBe(3);
  expect(restartPoint([3, 5], 2)).toBeUndefined();
  // Five cells at 5, one at 1: caching 5 saves 25 half-layers, 1 saves 6.
  expect(planCachePoints([5, 5, 5, 5, 5, 1], 1)).toEqual([5]);
  expect(planCachePoints([5, 5, 5, 5, 5, 1], 3)).toEqual([1, 5]);
  expect(planCachePoints([0, 0], 2)).toEqual([]);
});

describeEachBackend('pruning engine', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(FIXTURE_DIR);
  });
  afterAll(() => disposeModel(model));

  test('masked scores equal the fixture prune references, with and without reuse', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const encs = fixtureEncodings(refs);
    const { neurons, heads } = fixtureMaskJson(refs);
    const cases: Array<[string, Record<string, number[]>]> = [
      ['prune.logits.neurons', neurons],
      ['prune.logits.heads', heads],
      ['prune.logits.heads_and_neurons', { ...neurons, ...heads }],
    ];
    for (const cacheBytes of [0, 1 << 30]) {
      // Batch size 3: two batches of different lengths, so the cache holds differently shaped blocks.
      const e = makeEngine(model, encs, { batchSize: 3, cacheBytes, activation: 'none' }); // the fixture's references are logits
      const masks = cases.map(([, json]) => parseMasks(json, model.config));
      const unpruned = await scoreUnpruned(e, masks.map((m) => startPoint(m, 3)));
      expect(maxAbsDiff(unpruned, ref(refs, 'outputs.logits').data as Float32Array)).toBeLessThanOrEqual(TOL);
      expect([...e.cache.keys()]).toEqual(cacheBytes === 0 ? [] : [1]); // neurons start at layer 0's FFN, heads at 0
      for (const [i, [name]] of cases.entries()) {
        const m = masks[i] as ReturnType<typeof parseMasks>;
        const iv = intervention(m, 'zero');
        const got = await scoreCell(e, iv, startPoint(m, 3));
        iv.dispose();
        expect(maxAbsDiff(got, ref(refs, name).data as Float32Array)).toBeLessThanOrEqual(TOL);
      }
      if (cacheBytes > 0) expect(e.work.skipped).toBeGreaterThan(0);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('restarting from the cache changes no bit; mean ablation with zero means is zero ablation', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const encs = fixtureEncodings(refs);
    const masks = parseMasks({ 'layer.2.ffn': [0, 3, 63], 'layer.1.ffn': [7] }, model.config);
    const cached = makeEngine(model, encs, { batchSize: 2 });
    const plain = makeEngine(model, encs, { batchSize: 2, cacheBytes: 0 });
    await scoreUnpruned(cached, [startPoint(masks, 3)]);
    await scoreUnpruned(plain, []);
    const zero = intervention(masks, 'zero');
    const a = await scoreCell(cached, zero, startPoint(masks, 3));
    const b = await scoreCell(plain, zero, startPoint(masks, 3));
    zero.dispose();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(cached.work.skipped).toBe(3 * 2); // restarted at layer 1's FFN (point 3), both batches
    const zeroMeans = model.config.intermediateSizes.map((I) => new Float32Array(I));
    const mean0 = intervention(masks, 'mean', zeroMeans);
    const c = await scoreCell(cached, mean0, startPoint(masks, 3));
    mean0.dispose();
    expect(Array.from(c)).toEqual(Array.from(a));
    // Real means move the scores elsewhere than zeroing does.
    const means = await ffnMeans(model, encs, { batchSize: 3 });
    expect(means.tokens).toBe(24 + 17 + 9 + 5);
    const meanIv = intervention(masks, 'mean', means.mean);
    const d = await scoreCell(cached, meanIv, startPoint(masks, 3));
    meanIv.dispose();
    expect(maxAbsDiff(d, a)).toBeGreaterThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('ffn means: the mean over real tokens of the captured activation', async () => {
    const refs = await reference();
    const encs = fixtureEncodings(refs);
    const m = await ffnMeans(model, encs, { batchSize: 4 });
    // outputs.intermediate.1 is [4,24,64]; average its real positions by hand.
    const post = ref(refs, 'outputs.intermediate.1').data as Float32Array;
    const lens = encs.map((e) => e.inputIds.length);
    const want = new Float64Array(64);
    const wantAbs = new Float64Array(64);
    lens.forEach((n, b) => {
      for (let t = 0; t < n; t++) for (let i = 0; i < 64; i++) {
        const v = post[(b * 24 + t) * 64 + i] as number;
        want[i] = (want[i] as number) + v / 55;
        wantAbs[i] = (wantAbs[i] as number) + Math.abs(v) / 55;
      }
    });
    expect(maxAbsDiff(m.mean[1] as Float32Array, want)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(m.meanAbs[1] as Float32Array, wantAbs)).toBeLessThanOrEqual(TOL);
  });
});
