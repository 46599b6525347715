/** RR as trec_eval recip_rank; RR@k as ir_measures. */
import { rr } from '../../../src/ir/metrics/rr.js';
import { judged } from './helpers.js';

const grades = { a: 0, b: 1, c: 3 };

test('first relevant doc at the level', () => {
  expect(rr(judged(['a', 'x', 'b', 'c'], grades))).toBeCloseTo(1 / 3, 15);
  expect(rr(judged(['a', 'x', 'b', 'c'], grades, 2))).toBeCloseTo(1 / 4, 15);
});

test('cutoff and no relevant doc', () => {
  expect(rr(judged(['a', 'x', 'b'], grades), 2)).toBe(0);
  expect(rr(judged(['a', 'x', 'b'], grades), 3)).toBeCloseTo(1 / 3, 15);
  expect(rr(judged(['a'], grades))).toBe(0);
});
