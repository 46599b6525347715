/** Measure names as ir_measures writes them. */
import { UsageError } from '../../../src/errors.js';
import { measureName, parseMeasure } from '../../../src/ir/metrics/measures.js';

test('parse and print round-trip', () => {
  for (const n of ['nDCG@10', 'nDCG', 'RR', 'RR@10', 'AP', 'AP@100', 'P@10', 'R@100', 'AP(rel=2)', 'RR(rel=2)@10', 'P(rel=3)@5']) {
    expect(measureName(parseMeasure(n))).toBe(n);
  }
  expect(parseMeasure('RR(rel=2)@10')).toEqual({ kind: 'RR', rel: 2, cutoff: 10 });
});

test('an evaluation-wide relevance level shows in the names of the measures it applies to', () => {
  expect(measureName(parseMeasure('AP'), 2)).toBe('AP(rel=2)');
  expect(measureName(parseMeasure('R@100'), 2)).toBe('R(rel=2)@100');
  expect(measureName(parseMeasure('nDCG@10'), 2)).toBe('nDCG@10');
  expect(measureName(parseMeasure('AP(rel=3)'), 2)).toBe('AP(rel=3)');
  expect(measureName(parseMeasure('AP(rel=1)'), 2)).toBe('AP');
});

test('bad names are usage errors', () => {
  for (const n of ['ndcg@10', 'MAP', 'P', 'nDCG(rel=2)@10', 'P@0', 'AP@', 'recip_rank']) expect(() => parseMeasure(n)).toThrow(UsageError);
});
