/** AP as trec_eval map / map_cut. */
import { ap } from '../../../src/ir/metrics/ap.js';
import { judged } from './helpers.js';

const grades = { a: 1, b: 0, c: 2, d: 1 };

test('precision at each relevant doc over all relevant judged docs (d is never retrieved)', () => {
  expect(ap(judged(['a', 'b', 'c'], grades))).toBeCloseTo((1 / 1 + 2 / 3) / 3, 15);
});

test('level 2: only c counts, as does numRel', () => {
  expect(ap(judged(['a', 'b', 'c'], grades, 2))).toBeCloseTo(1 / 3, 15);
});

test('AP@k stops at k but keeps the full denominator (map_cut)', () => {
  expect(ap(judged(['a', 'b', 'c'], grades), 2)).toBeCloseTo(1 / 3, 15);
});

test('no relevant doc retrieved, or none judged: 0', () => {
  expect(ap(judged(['b', 'x'], grades))).toBe(0);
  expect(ap(judged(['b'], { b: 0 }))).toBe(0);
});
