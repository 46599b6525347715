/** P@k as trec_eval P: missing ranks count as non-relevant. */
import { precision } from '../../../src/ir/metrics/precision.js';
import { judged } from './helpers.js';

test('relevant in the first k over k, even when fewer than k were retrieved', () => {
  const grades = { a: 1, b: 0, c: 2 };
  expect(precision(judged(['a', 'b', 'c'], grades), 5)).toBeCloseTo(2 / 5, 15);
  expect(precision(judged(['a', 'b', 'c'], grades), 2)).toBeCloseTo(1 / 2, 15);
  expect(precision(judged(['a', 'b', 'c'], grades, 2), 3)).toBeCloseTo(1 / 3, 15);
  expect(precision(judged([], grades), 10)).toBe(0);
});
