/** Per-layer summaries of the signed values, worked out by hand. */
import { layerSummaries, quantile } from '../../src/analysis/distribution.js';

test('quantiles interpolate linearly between order statistics (numpy linear / R type 7)', () => {
  const s = [1, 2, 3, 4, 10];
  expect(quantile(s, 0)).toBe(1);
  expect(quantile(s, 0.5)).toBe(3);
  expect(quantile(s, 0.25)).toBe(2); // h = 1
  expect(quantile(s, 0.95)).toBeCloseTo(8.8, 12); // h = 3.8: 4 + 0.8 · (10 − 4)
  expect(quantile(s, 1)).toBe(10);
  expect(quantile([7], 0.3)).toBe(7);
  expect(quantile([], 0.5)).toBeNaN();
});

test('a layer whose negatives dwarf its top positive value shows it: min, counts, masses', () => {
  // Layer 0: the largest value is 1, but five neurons sit at −5 (the case); layer 1 is all zero; layer 2 has no neurons.
  const [l0, l1, ...rest] = layerSummaries([Float64Array.from([1, -5, -5, 0.5, -5, -5, -5, 0]), new Float64Array(3), new Float64Array(0)]);
  expect(rest).toEqual([]);
  expect(l0).toEqual({
    layer: 0, neurons: 8, min: -5, q05: -5, q25: -5, median: -5, q75: 0.125, q95: expect.closeTo(0.825, 12) as number, max: 1, mean: -23.5 / 8,
    positive: 2, negative: 5, zero: 1, sumPositive: 1.5, sumNegative: -25,
  });
  // sorted: −5 ×5, 0, 0.5, 1 — q75: h = 5.25 → 0 + 0.25·0.5; q95: h = 6.65 → 0.5 + 0.65·0.5.
  expect(l1).toMatchObject({ layer: 1, neurons: 3, min: 0, max: 0, positive: 0, negative: 0, zero: 3, sumPositive: 0, sumNegative: 0 });
});
