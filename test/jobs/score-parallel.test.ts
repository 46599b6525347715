/**
 * Scoring on a worker pool (src/jobs/score-parallel.ts) against scoreEncoded in this thread, on
 * the fixture model (wasm): the same scores bit for bit for 1, 2 and 3 workers, in input order,
 * with masks too; progress reaches the total; every thread is gone afterwards. A model only
 * opened (openModel) has its weights read in this thread only when this thread scores.
 */
import { liveWorkers } from '../../src/jobs/pool.js';
import { unpad } from '../../src/attribution/attribute.js';
import { selectBackend } from '../../src/backend/select.js';
import { disposeModel, loadModel, openModel } from '../../src/model/load.js';
import type { LoadedModel, OpenedModel } from '../../src/model/load.js';
import { parseMasks } from '../../src/model/masks.js';
import { scoreEncoded } from '../../src/model/score.js';
import { poolScorer, scoreEncodedParallel } from '../../src/jobs/score-parallel.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';
import { FIXTURE_DIR, fixtureBatch, reference } from '../helpers/fixture.js';

describe('scoreEncodedParallel [wasm]', () => {
  let model: LoadedModel;
  let encs: PairEncoding[];
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await loadModel(FIXTURE_DIR);
    const base = unpad(fixtureBatch(await reference()));
    // Several lengths, so batches differ in padding; 3 per batch gives several batches.
    encs = [...base, ...base.map((e) => ({ inputIds: e.inputIds.slice(0, -2).concat(e.inputIds.slice(-1)), tokenTypeIds: e.tokenTypeIds.slice(0, -2).concat(e.tokenTypeIds.slice(-1)) }))];
  });
  afterAll(() => disposeModel(model));

  test.each([1, 2, 3])('%i workers give scoreEncoded\'s scores bit for bit, in input order', async (workers) => {
    const masks = parseMasks({ 'layer.1.ffn': [3, 7], 'layer.0.attn.heads': [1] }, model.config);
    for (const opts of [{ batchSize: 3 }, { batchSize: 2, activation: 'sigmoid' as const, masks }]) {
      const want = await scoreEncoded(model, encs, opts);
      const seen: number[] = [];
      const got = await scoreEncodedParallel(FIXTURE_DIR, model, encs, { ...opts, onProgress: (d) => seen.push(d) }, { workers, backend: 'wasm' });
      expect(got.map((r) => Buffer.from(Float32Array.from(r).buffer).toString('hex'))).toEqual(want.map((r) => Buffer.from(Float32Array.from(r).buffer).toString('hex')));
      expect(seen[seen.length - 1]).toBe(encs.length);
    }
    expect(liveWorkers()).toBe(0);
  });

  test('a pool kept across calls (rerank\'s chunks) starts its threads once and gives the same scores; close() ends them', async () => {
    const scorer = poolScorer(FIXTURE_DIR, model, { workers: 2, backend: 'wasm' });
    try {
      const a = await scorer(encs.slice(0, 4), { batchSize: 2 });
      expect(liveWorkers()).toBe(2);
      const b = await scorer(encs.slice(4), { batchSize: 2 });
      expect(liveWorkers()).toBe(2); // the same two threads, not two more
      const hex = (rows: number[][]): string[] => rows.map((r) => Buffer.from(Float32Array.from(r).buffer).toString('hex'));
      // Batches are cut per call, so compare with scoreEncoded on the same calls.
      expect(hex([...a, ...b])).toEqual(hex([...(await scoreEncoded(model, encs.slice(0, 4), { batchSize: 2 })), ...(await scoreEncoded(model, encs.slice(4), { batchSize: 2 }))]));
    } finally {
      await scorer.close();
    }
    expect(liveWorkers()).toBe(0);
  });

  test('an opened model is loaded in this thread only when this thread scores (one batch), never for a pool', async () => {
    const opened = await openModel(FIXTURE_DIR);
    let loads = 0;
    const counting: OpenedModel = { ...opened, load: () => (loads++, opened.load()) };
    const hex = (rows: number[][]): string[] => rows.map((r) => Buffer.from(Float32Array.from(r).buffer).toString('hex'));
    try {
      const pooled = await scoreEncodedParallel(FIXTURE_DIR, counting, encs, { batchSize: 2 }, { workers: 2, backend: 'wasm' });
      expect(loads).toBe(0);
      expect(hex(pooled)).toEqual(hex(await scoreEncoded(model, encs, { batchSize: 2 })));
      const one = await scoreEncodedParallel(FIXTURE_DIR, counting, encs.slice(0, 2), { batchSize: 2 }, { workers: 2, backend: 'wasm' });
      expect(loads).toBe(1);
      expect(hex(one)).toEqual(hex(await scoreEncoded(model, encs.slice(0, 2), { batchSize: 2 })));
      expect(await opened.load()).toBe(await opened.load()); // loaded once
    } finally {
      await opened.dispose();
      await opened.dispose(); // safe twice
    }
    expect(liveWorkers()).toBe(0);
  });
});
