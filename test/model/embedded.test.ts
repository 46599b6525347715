/**
 * The committed model (weights/celens-ce-tiny, the README's default) loads, is small, says how it
 * was trained, and ranks held-out queries: on TREC DL 2019 and 2020 (queries it never saw in
 * training, see scripts/train-data.ts), reranking BM25's top 20 of the first 12 queries of each
 * beats a random ordering of the same candidates (the random floor, mean of 5 shuffles). The
 * full-size figures are in the model card and docs/study.md.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend } from '../../src/backend/select.js';
import { DEFAULT_MODEL_DIR } from '../../src/defaults.js';
import { loadCollection } from '../../src/ir/detect.js';
import { evaluate } from '../../src/ir/metrics/evaluate.js';
import { randomFloor } from '../../src/ir/random-floor.js';
import { rerank } from '../../src/ir/rerank.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { makeScorer } from '../../src/model/scorer.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { HELD_OUT, TRAIN_SPLIT } from '../../scripts/train-data.js';
import { SHARED } from '../helpers/fixture.js';

beforeAll(async () => {
  await selectBackend('wasm');
});

test('small, complete, and its training log names the split', async () => {
  let bytes = 0;
  for (const f of await readdir(DEFAULT_MODEL_DIR)) bytes += (await stat(join(DEFAULT_MODEL_DIR, f))).size;
  expect(bytes).toBeLessThan(20 * 1024 * 1024);
  for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json', 'README.md', 'training_log.json']) {
    expect((await stat(join(DEFAULT_MODEL_DIR, f))).isFile()).toBe(true);
  }
  const config = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'config.json'), 'utf8')) as { vocab_size: number; celens_training: { seed: number } };
  const vocabLines = (await readFile(join(DEFAULT_MODEL_DIR, 'vocab.txt'), 'utf8')).split('\n').filter((l) => l !== '').length;
  expect(config.vocab_size).toBe(vocabLines);
  const log = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'training_log.json'), 'utf8')) as { options: { seed: number; steps: number }; curve: Array<{ step: number }> };
  expect(log.options.seed).toBe(config.celens_training.seed);
  expect(log.curve.at(-1)?.step).toBe(log.options.steps);
  // The split it was trained on never lends an evaluated collection's queries.
  for (const s of TRAIN_SPLIT) if ((HELD_OUT as readonly string[]).includes(s.dir)) expect(s.queries).toBe(false);
});

test.each(['trec-dl-2019-passage', 'trec-dl-2020-passage'])('ranks held-out %s queries above the random floor', async (dir) => {
  const c = await loadCollection(join(SHARED, 'data', dir));
  const qids = [...(c.run as Map<string, unknown>).keys()].slice(0, 12);
  const sub = { ...c, queries: new Map(qids.map((q) => [q, c.queries.get(q) as string])), run: new Map(qids.map((q) => [q, c.run?.get(q) ?? []])) };
  const model = await loadModel(DEFAULT_MODEL_DIR);
  try {
    const tokenizer = await loadTokenizer(DEFAULT_MODEL_DIR, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
    const res = await rerank(sub, makeScorer(model, tokenizer), { topK: 20 });
    const ours = evaluate(c.qrels, res.run, { metrics: ['nDCG@10'] }).aggregate['nDCG@10'] as number;
    const floor = randomFloor(c.qrels, sub.run, { depth: 20, metrics: ['nDCG@10'] }).aggregate['nDCG@10'] as number;
    expect(ours).toBeGreaterThan(floor);
    for (const entries of res.run.values()) for (const e of entries) expect(Number.isFinite(e.score)).toBe(true);
  } finally {
    disposeModel(model);
  }
}, 120_000);
