/**
 * Reranking: a DL19 BM25 top-100 rerank with the tiny fixture model (random weights: validity
 * only), the scorer against scoreEncoded, resume after a stop giving identical bytes, skipped
 * candidates reported, and — only when real weights are here — the MiniLM reference scores and
 * its DL19 nDCG@10.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { selectBackend } from '../../src/backend/select.js';
import type { Collection } from '../../src/ir/collection.js';
import { loadCollection } from '../../src/ir/detect.js';
import { evaluate } from '../../src/ir/metrics/evaluate.js';
import { float32String, rerank } from '../../src/ir/rerank.js';
import type { PairScorer } from '../../src/ir/rerank.js';
import { formatRun, parseRun, trecOrder } from '../../src/ir/trec.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { scoreEncoded } from '../../src/model/score.js';
import { makeScorer } from '../../src/model/scorer.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { PairTokenizer } from '../../src/tokenize/tokenizer.js';
import { resolveModel } from '../../src/weights/hub-download.js';
import { FIXTURE_DIR, SHARED } from '../helpers/fixture.js';

const DL19 = path.join(SHARED, 'data/trec-dl-2019-passage');
const MINILM_TOKENIZER = path.join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');

let tmp: string;
let dl19: Collection;
let model: LoadedModel;
let tokenizer: PairTokenizer;
let scorer: PairScorer;
beforeAll(async () => {
  await selectBackend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-rerank-'));
  dl19 = await loadCollection(DL19);
  model = await loadModel(FIXTURE_DIR);
  tokenizer = await loadTokenizer(MINILM_TOKENIZER, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
  scorer = makeScorer(model, tokenizer, { batchSize: 32 });
});
afterAll(async () => {
  disposeModel(model);
  await rm(tmp, { recursive: true, force: true });
});

describe('DL19 BM25 top-100 with the fixture model (wasm)', () => {

  test('a valid run: 43 queries × 100, ranks 1…100, scores non-increasing, first-stage docids', async () => {
    const t0 = Date.now();
    const res = await rerank(dl19, scorer);
    console.log(`DL19 top-100 rerank, fixture model, wasm: ${res.pairs} pairs in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    expect(res.complete).toBe(true);
    expect(res.warnings).toEqual([]);
    expect(res.pairs).toBe(4300);
    expect(res.run.size).toBe(43);
    for (const [qid, entries] of res.run) {
      expect(entries.map((e) => e.rank)).toEqual(Array.from({ length: 100 }, (_v, i) => i + 1));
      for (let i = 1; i < entries.length; i++) expect((entries[i] as { score: number }).score).toBeLessThanOrEqual((entries[i - 1] as { score: number }).score);
      // The entries are already in trec_eval's order, so the written ranks are the evaluated ones.
      expect(trecOrder(entries).map((e) => e.docid)).toEqual(entries.map((e) => e.docid));
      const first = new Set(dl19.run?.get(qid)?.map((e) => e.docid));
      expect(entries.every((e) => first.has(e.docid))).toBe(true);
      expect(new Set(entries.map((e) => e.docid)).size).toBe(100);
    }
    // Written and read back: the same run (float32 shortest forms survive the text round trip).
    expect(parseRun(formatRun(res.run), 'run')).toEqual(res.run);
    const ev = evaluate(dl19.qrels, res.run);
    expect(ev.numQueries).toBe(43);
    expect(Number.isFinite(ev.aggregate['nDCG@10'])).toBe(true);
  });

  test('resume: stopped after 3 chunks, rerun → identical run bytes', async () => {
    // Top 20 in chunks of 128 keeps it short: 860 pairs, 7 chunks.
    const opts = { topK: 20, chunkSize: 128, scorerId: 'fixture' };
    const uninterrupted = formatRun((await rerank(dl19, scorer, opts)).run);
    const journal = path.join(tmp, 'dl19.partial');
    const stop = { requested: false };
    let calls = 0;
    const counting: PairScorer = async (pairs, onProgress) => {
      if (++calls === 3) stop.requested = true;
      return scorer(pairs, onProgress);
    };
    const first = await rerank(dl19, counting, { ...opts, journal, stop });
    expect(first.complete).toBe(false);
    const lines = (await readFile(journal, 'utf8')).split('\n').filter((l) => l !== '');
    expect(lines.length).toBe(1 + 3 * 128);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ celens: 'rerank', collection: 'trec-dl-2019-passage', topK: 20, chunkSize: 128 });
    expect(lines[1]).toMatch(/^\d+\t\d+\t-?[\d.e+-]+$/);
    // A kill mid-write leaves a torn last line: it is cut, and its chunk is rescored whole.
    await writeFile(journal, `${lines.slice(0, -1).join('\n')}\n${(lines[lines.length - 1] as string).slice(0, 5)}`);
    let progressStart = -1;
    const second = await rerank(dl19, scorer, { ...opts, journal, onProgress: (d) => (progressStart = progressStart < 0 ? d : progressStart) });
    expect(second.complete).toBe(true);
    expect(second.resumed).toBe(3 * 128 - 1);
    expect(progressStart).toBe(3 * 128 - 1);
    expect(formatRun(second.run)).toBe(uninterrupted);
    // Other settings over the same journal are refused.
    await expect(rerank(dl19, scorer, { ...opts, journal, scorerId: 'another model' })).rejects.toThrow(/unfinished rerank with other settings/);
  });
});

describe('scorer', () => {
  const pairs: Array<[string, string]> = [];
  beforeAll(() => {
    for (const [qid, entries] of dl19.run ?? []) {
      for (const e of entries.slice(0, 3)) pairs.push([dl19.queries.get(qid) ?? '', dl19.docs.get(e.docid) ?? '']);
      if (pairs.length >= 60) break;
    }
  });

  test('equals scoreEncoded on the same pairs (output 0 of a one-logit head, after the model\'s sigmoid)', async () => {
    const encs = await tokenizer.encodePairs(pairs, { maxLength: 128 });
    // The fixture's config names no activation: sentence-transformers' default for 1 label, sigmoid.
    const rows = await scoreEncoded(model, encs, { batchSize: 32, activation: 'sigmoid' });
    expect(await scorer(pairs)).toEqual(rows.map((r) => r[0]));
    const raw = await scoreEncoded(model, encs, { batchSize: 32 });
    (await scorer(pairs)).forEach((s, i) => expect(Math.abs(s - 1 / (1 + Math.exp(-(raw[i]?.[0] as number))))).toBeLessThan(1e-6));
  });

  test('batch size moves no score by more than 1e-5', async () => {
    const a = await makeScorer(model, tokenizer, { batchSize: 1 })(pairs);
    const b = await makeScorer(model, tokenizer, { batchSize: 64 })(pairs);
    expect(Math.max(...a.map((v, i) => Math.abs(v - (b[i] as number))))).toBeLessThanOrEqual(1e-5);
  });

  test('a tokenizer larger than the model vocabulary is refused', () => {
    const small = { ...model, config: { ...model.config, vocabSize: 1000 } };
    expect(() => makeScorer(small, tokenizer)).toThrow(/tokenizer has 30522 tokens but the model's vocabulary has 1000/);
  });
});

describe('inputs', () => {
  const fake: PairScorer = async (pairs) => pairs.map(([q, d]) => (q.length * 7 + d.length) % 13);
  const tiny = (): Collection => ({
    name: 'tiny',
    format: 'trec',
    queries: new Map([['1', 'q one']]),
    docs: new Map([['a', 'alpha'], ['b', 'bravo doc'], ['c', 'c']]),
    qrels: new Map(),
    run: new Map([
      ['1', [{ docid: 'a', score: 3, rank: 1 }, { docid: 'b', score: 2, rank: 2 }, { docid: 'x', score: 1, rank: 3 }]],
      ['2', [{ docid: 'c', score: 1, rank: 1 }]],
    ]),
    warnings: [],
  });

  test('missing query and document texts are reported and skipped', async () => {
    const res = await rerank(tiny(), fake);
    expect(res.skipped).toBe(2);
    expect(res.warnings).toEqual([
      'tiny: 1 query of the first stage has no text and was skipped (qid 2)',
      'tiny: 1 candidate has no document text and was left out of the reranked run (qid/docid 1/x)',
    ]);
    expect([...res.run.keys()]).toEqual(['1']);
    expect(res.run.get('1')?.map((e) => e.docid)).toEqual(['b', 'a']); // fake scores: a → 1, b → 5
  });

  test('ties keep trec order (docno descending); top k follows the first stage', async () => {
    const res = await rerank(tiny(), async (p) => p.map(() => 1), { topK: 2 });
    expect(res.run.get('1')).toEqual([{ docid: 'b', score: 1, rank: 1 }, { docid: 'a', score: 1, rank: 2 }]);
  });

  test('no first stage: an error that says how to get one', async () => {
    const c = tiny();
    delete c.run;
    await expect(rerank(c, fake)).rejects.toThrow(/no first-stage run to rerank; run `celens bm25 --collection tiny/);
  });

  test('float32 shortest round-trip form', () => {
    expect(float32String(8.607138156890869)).toBe('8.607138');
    expect(float32String(Math.fround(-4.3200774))).toBe('-4.3200774');
    expect(float32String(0.1)).toBe('0.1');
    for (const v of [1e-30, 3.4e38, -123.456, 1 / 3]) expect(Math.fround(Number(float32String(v)))).toBe(Math.fround(v));
  });
});

// Real ms-marco-MiniLM-L-6-v2 weights: $CELENS_MINILM_DIR, or the HF cache snapshot.
const minilm = await (async (): Promise<{ dir?: string; why?: string }> => {
  const env = process.env.CELENS_MINILM_DIR;
  if (env) return existsSync(path.join(env, 'config.json')) ? { dir: env } : { why: `CELENS_MINILM_DIR=${env} has no config.json` };
  return resolveModel('cross-encoder/ms-marco-MiniLM-L-6-v2').then(
    (dir) => ({ dir }),
    (e: unknown) => ({ why: `CELENS_MINILM_DIR is not set and ${e instanceof Error ? e.message : String(e)}` }),
  );
})();
const maybe = minilm.dir !== undefined ? test : test.skip;
if (minilm.why !== undefined) console.log(`skipping the MiniLM reference test: ${minilm.why}`);

maybe('MiniLM-L-6: reference scores, and DL19 nDCG@10 ≈ 0.743 reranking BM25 top-100', async () => {
  const m = await loadModel(minilm.dir as string);
  try {
    const s = makeScorer(m, await loadTokenizer(minilm.dir as string, { maxPositionEmbeddings: m.config.maxPositionEmbeddings }));
    const q = 'How many people live in Berlin?';
    const [a, b] = await s([[q, 'Berlin had a population of 3,520,031 registered inhabitants in an area of 891.82 square kilometers.'], [q, 'Berlin is well known for its museums.']]);
    expect(Math.abs((a as number) - 8.607138)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs((b as number) + 4.3200774)).toBeLessThanOrEqual(1e-4);
    const t0 = Date.now();
    const res = await rerank(dl19, s);
    const ndcg = evaluate(dl19.qrels, res.run).aggregate['nDCG@10'] as number;
    console.log(`MiniLM-L-6 DL19 nDCG@10 = ${ndcg.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
    expect(Math.abs(ndcg - 0.743)).toBeLessThanOrEqual(0.02);
  } finally {
    disposeModel(m);
  }
}, 1_800_000);
