/** Holm and Benjamini–Hochberg adjustments on p-values worked out by hand. */
import { adjustPValues } from '../../src/stats/correction.js';

const P = [0.01, 0.04, 0.03, 0.005];

test('Holm: sorted p₍ᵢ₎ · (m − i + 1), made non-decreasing, capped at 1', () => {
  // sorted 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → max so far: 0.02, 0.03, 0.06, 0.06
  const a = adjustPValues(P, 'holm');
  [0.03, 0.06, 0.06, 0.02].forEach((x, i) => expect(a[i]).toBeCloseTo(x, 15));
  expect(adjustPValues([0.5, 0.6], 'holm')).toEqual([1, 1]);
});

test('Benjamini–Hochberg: sorted p₍ᵢ₎ · m / i, made non-increasing from the top', () => {
  // sorted 0.005·4/1 = 0.02, 0.01·4/2 = 0.02, 0.03·4/3 = 0.04, 0.04·4/4 = 0.04
  const a = adjustPValues(P, 'bh');
  [0.02, 0.04, 0.04, 0.02].forEach((x, i) => expect(a[i]).toBeCloseTo(x, 15));
  // A smaller p later in the order pulls the earlier ones down: 0.02·3/2 = 0.03 > 0.03·3/3.
  const b = adjustPValues([0.01, 0.02, 0.03], 'bh');
  [0.03, 0.03, 0.03].forEach((x, i) => expect(b[i]).toBeCloseTo(x, 15));
  expect(adjustPValues([1, 1], 'bh')).toEqual([1, 1]);
});

test('none leaves them; values outside [0, 1] are refused', () => {
  expect(adjustPValues(P, 'none')).toEqual(P);
  expect(() => adjustPValues([0.2, 1.5], 'holm')).toThrow('p-value 1 is 1.5, not in [0, 1]');
  expect(adjustPValues([], 'bh')).toEqual([]);
});
