/** R@k as trec_eval recall. */
import { recall } from '../../../src/ir/metrics/recall.js';
import { judged } from './helpers.js';

test('relevant in the first k over all relevant judged docs', () => {
  const grades = { a: 1, b: 0, c: 2, d: 3 };
  expect(recall(judged(['a', 'b', 'c'], grades), 2)).toBeCloseTo(1 / 3, 15);
  expect(recall(judged(['a', 'b', 'c'], grades), 100)).toBeCloseTo(2 / 3, 15);
  expect(recall(judged(['a', 'b', 'c'], grades, 2), 100)).toBeCloseTo(1 / 2, 15);
  expect(recall(judged(['a', 'b', 'c'], grades))).toBeCloseTo(2 / 3, 15);
});

test('a query with no relevant judged doc scores 0', () => {
  expect(recall(judged(['b'], { b: 0 }), 10)).toBe(0);
});
