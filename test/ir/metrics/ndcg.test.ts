/** nDCG as trec_eval ndcg_cut: linear gains, log2(rank+1), ideal from all judged docs. */
import { ndcg } from '../../../src/ir/metrics/ndcg.js';
import { judged } from './helpers.js';

const grades = { a: 3, b: 0, c: 2, d: 1, e: 3 };

test('hand-worked nDCG@3 with an unretrieved doc in the ideal', () => {
  // DCG@3 = 3/log2(2) + 0 + 2/log2(4) = 4; ideal gains 3,3,2,1 → 3 + 3/log2(3) + 2/2.
  const expected = 4 / (3 + 3 / Math.log2(3) + 1);
  expect(ndcg(judged(['a', 'b', 'c', 'x'], grades), 3)).toBeCloseTo(expected, 12);
  expect(expected).toBeCloseTo(0.6788, 4);
});

test('the relevance level does not change the gains (trec_eval -l leaves ndcg_cut alone)', () => {
  expect(ndcg(judged(['d', 'a'], grades, 3), 10)).toBeCloseTo(ndcg(judged(['d', 'a'], grades, 1), 10), 15);
});

test('fewer docs than k, perfect ranking, no positive grade, negative grades', () => {
  expect(ndcg(judged(['a', 'e', 'c', 'd'], grades), 10)).toBeCloseTo(1, 15);
  // Only a retrieved: 3 / (3 + 3/log2 3 + 2/2 + 1/log2 5).
  expect(ndcg(judged(['a'], grades), 10)).toBeCloseTo(3 / (3 + 3 / Math.log2(3) + 1 + 1 / Math.log2(5)), 12);
  expect(ndcg(judged(['a', 'b'], { a: 0, b: 0 }), 10)).toBe(0);
  expect(ndcg(judged(['u', 'a'], { u: -1, a: 1 }), 10)).toBeCloseTo(1 / Math.log2(3), 12);
  expect(ndcg(judged([], grades), 10)).toBe(0);
});

test('without a cutoff the whole ranking counts', () => {
  expect(ndcg(judged(['b', 'b2', 'a'], { a: 1, b: 0 }))).toBeCloseTo(1 / 2, 12); // rank 3: 1/log2(4)
});
