/** One rounding rule for "p% of the units": a neuron set's top-p:P and a pruning budget's P% agree. */
import { topPercentCount } from '../../src/analysis/neuron-sets.js';
import { budgetCount, parseBudget } from '../../src/pruning/select.js';
import { shareCount } from '../../src/util/share-count.js';

test('a share keeps ⌈fraction · total⌉ units, capped at total', () => {
  expect(shareCount(1024, 0.02)).toBe(21); // 20.48: round() would give 20
  expect(shareCount(192, 0.01)).toBe(2); // 1.92
  expect(shareCount(200, 0.001)).toBe(1); // 0.2: any share > 0 keeps one
  expect(shareCount(200, 0)).toBe(0);
  expect(shareCount(10, 1)).toBe(10);
  // Whole numbers in exact arithmetic stay whole: 0.07 · 100 is 7.000000000000001 in floating point.
  expect(shareCount(100, 0.07)).toBe(7);
  expect(shareCount(300, 0.01)).toBe(3);
  expect(shareCount(1000, 0.011)).toBe(11); // 11.000000000000002
  expect(shareCount(36864, 0.01)).toBe(369); // BERT-base FFN: 368.64
});

test('a 2% neuron set and a 2% pruning budget hold the same number of neurons', () => {
  // The embedded model's 4 × 256 FFN neurons: before this rule the set kept 21 and the sweep removed 20.
  for (const total of [192, 1024, 1536, 36864]) {
    for (const p of [0.1, 0.5, 1, 2, 5, 7, 10, 100]) {
      expect(budgetCount(parseBudget(`${p}%`), total)).toBe(topPercentCount(total, p));
    }
  }
  expect(budgetCount(parseBudget('2%'), 1024)).toBe(21);
  expect(budgetCount(parseBudget('0.02'), 1024)).toBe(21);
});
