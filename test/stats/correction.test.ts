/** Holm and Bonferroni against the adjustments computed by hand in make_reference.py; NaN as R's NA. */
import { adjustPValues, bonferroni, holm } from '../../src/stats/correction.js';
import { expectClose, REFERENCE } from './reference.js';

test.each(REFERENCE.corrections.map((c) => [c.p.join(' '), c] as const))('p = %s', (_name, c) => {
  holm(c.p).forEach((v, i) => expectClose(v, c.holm[i] as number, 1e-14));
  bonferroni(c.p).forEach((v, i) => expectClose(v, c.bonferroni[i] as number, 1e-14));
  expect(adjustPValues(c.p, 'holm')).toEqual(holm(c.p));
  expect(adjustPValues(c.p, 'none')).toEqual(c.p);
});

test('Holm keeps the order of the p-values and never exceeds Bonferroni', () => {
  const p = [0.03, 0.0001, 0.5, 0.02, 0.04, 0.02, 0.9];
  const h = holm(p);
  const b = bonferroni(p);
  for (let i = 0; i < p.length; i++) {
    expect(h[i]).toBeGreaterThanOrEqual(p[i] as number);
    expect(h[i]).toBeLessThanOrEqual(b[i] as number);
    for (let j = 0; j < p.length; j++) if ((p[i] as number) < (p[j] as number)) expect(h[i]).toBeLessThanOrEqual(h[j] as number);
  }
  expect(h[1]).toBeCloseTo(0.0007, 15);
});

test('NaN stays NaN and does not count in m; p outside [0, 1] is refused', () => {
  const h = holm([0.01, Number.NaN, 0.02]);
  expect(h[0]).toBeCloseTo(0.02, 15);
  expect(h[1]).toBeNaN();
  expect(h[2]).toBeCloseTo(0.02, 15);
  const b = bonferroni([0.01, Number.NaN, 0.02]);
  expect([b[0], b[2]]).toEqual([0.02, 0.04]);
  expect(holm([])).toEqual([]);
  expect(() => holm([0.1, 1.2])).toThrow(/p-value 1 is 1.2/);
  expect(() => adjustPValues([-0.1], 'none')).toThrow(RangeError);
});
