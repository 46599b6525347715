/** BM25 as Lucene's BM25Similarity, checked by hand on a three-document corpus. */
import path from 'node:path';
import { bm25Run, buildBm25Index, byte4ToInt, intToByte4, searchBm25 } from '../../src/ir/bm25.js';
import { loadCollection } from '../../src/ir/detect.js';
import { evaluate } from '../../src/ir/metrics/evaluate.js';
import { expectedRandomNdcg } from '../../src/ir/random-floor.js';

const docs = new Map([
  ['d1', 'cat cat dog'],
  ['d2', 'dog'],
  ['d3', 'fish'],
]);

/** Lucene ≥ 8: idf · tf / (tf + k1 (1 − b + b·dl/avgdl)), idf = ln(1 + (N − df + .5)/(df + .5)). */
function bm25(tf: number, df: number, dl: number, n = 3, avgdl = 5 / 3, k1 = 0.9, b = 0.4): number {
  return (Math.log(1 + (n - df + 0.5) / (df + 0.5)) * tf) / (tf + k1 * (1 - b + (b * dl) / avgdl));
}

test('scores by the formula (exact arithmetic)', () => {
  const index = buildBm25Index(docs, { lucene: false });
  const hits = searchBm25(index, 'cat dog');
  expect(hits.map((h) => h.docid)).toEqual(['d1', 'd2']);
  expect(hits[0]?.score).toBeCloseTo(bm25(2, 1, 3) + bm25(1, 2, 3), 12);
  expect(hits[1]?.score).toBeCloseTo(bm25(1, 2, 1), 12);
  expect(hits.map((h) => h.rank)).toEqual([1, 2]);
});

test('a repeated query term weighs once per repetition (Anserini bag of words)', () => {
  const index = buildBm25Index(docs, { lucene: false });
  expect(searchBm25(index, 'fish fish')[0]?.score).toBeCloseTo(2 * bm25(1, 1, 1), 12);
});

test('Lucene mode: float32 scores, same order here', () => {
  const hits = searchBm25(buildBm25Index(docs), 'cat dog');
  expect(hits[0]?.score).toBeCloseTo(bm25(2, 1, 3) + bm25(1, 2, 3), 5);
  expect(Math.fround(hits[0]?.score ?? 0)).toBe(hits[0]?.score);
});

test('candidates: exactly those docs, zero-scored ones too; hits cut the list', () => {
  const index = buildBm25Index(docs, { lucene: false });
  expect(searchBm25(index, 'fish', { candidates: ['d1', 'd3', 'nope'] }).map((h) => [h.docid, h.score > 0])).toEqual([['d3', true], ['d1', false]]);
  expect(searchBm25(index, 'cat dog', { hits: 1 })).toHaveLength(1);
  const run = bm25Run(index, new Map([['q1', 'dog'], ['q2', 'fish']]), { rerank: new Map([['q1', [{ docid: 'd3', score: 1, rank: 1 }]]]) });
  expect([...run.keys()]).toEqual(['q1']);
});

test("Lucene's one-byte norms (SmallFloat.intToByte4): exact below 24, four significant bits above", () => {
  for (let i = 0; i < 24; i++) expect(byte4ToInt(intToByte4(i))).toBe(i);
  // 100 − 24 = 76 = 0b1001100 → keep 0b1001 << 3 = 72 → 24 + 72.
  expect(byte4ToInt(intToByte4(100))).toBe(96);
  let prev = 0;
  const bad: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const d = byte4ToInt(intToByte4(i));
    if (d > i || d < prev) bad.push(i);
    prev = d;
  }
  expect(bad).toEqual([]);
  expect(intToByte4(2 ** 31 - 1)).toBe(255);
});

test('on Cranfield, BM25 is far above a random order (sanity; no published figure matches this setup)', async () => {
  const c = await loadCollection(path.resolve(process.cwd(), '../shared/data/cranfield'));
  const run = bm25Run(buildBm25Index(c.docs), c.queries, { hits: 1000 });
  const ndcg = evaluate(c.qrels, run, { metrics: ['nDCG@10'] }).aggregate['nDCG@10'] ?? 0;
  expect(ndcg).toBeGreaterThan(3 * expectedRandomNdcg(c.qrels, run, { k: 10, depth: 1000 }));
});
