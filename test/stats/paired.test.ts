/** Paired t and sign-flip randomization tests against scipy (ttest_rel, permutation_test) and a brute-force count. */
import { pairedTTest, randomizationTest } from '../../src/stats/paired.js';
import { expectClose, REFERENCE, sample } from './reference.js';

describe('pairedTTest matches scipy.stats.ttest_rel', () => {
  test.each(REFERENCE.paired.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const r = pairedTTest(s.baseline, s.run);
    expect(r.n).toBe(s.n);
    expect(r.df).toBe(s.n - 1);
    expectClose(r.meanDiff, s.meanDiff, 1e-12);
    expectClose(r.t, s.t, 1e-10);
    expectClose(r.p, s.pT, 1e-11); // tail-30 too: p ≈ 9.5e-20
    // Swapping the runs flips t, not p.
    const swapped = pairedTTest(s.run, s.baseline);
    expectClose(swapped.t, -s.t, 1e-10);
    expectClose(swapped.p, s.pT, 1e-11);
  });
});

describe('randomizationTest, exact: the p of permutation_test and of counting every sign vector', () => {
  const exact = REFERENCE.paired.filter((s) => s.pRandomizationExact !== undefined && s.n <= 13);
  test.each(exact.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const r = randomizationTest(s.baseline, s.run); // 2^n ≤ 10 000 trials: enumerated
    expect(r.exact).toBe(true);
    expectClose(r.p, s.pRandomizationExact as number, 1e-12);
    expectClose(r.p, s.pRandomizationBruteForce as number, 1e-12);
    expectClose(r.meanDiff, s.meanDiff, 1e-12);
    // The seed plays no part in an exact p.
    expect(randomizationTest(s.baseline, s.run, { seed: 77 }).p).toBe(r.p);
  });

  test('ties-10: three zero differences are left out (2^7 vectors), the p is the same', () => {
    const s = sample('ties-10');
    const r = randomizationTest(s.baseline, s.run, { trials: 128 });
    expect([r.exact, r.trials]).toEqual([true, 128]);
    expect(r.p).toBe(s.pRandomizationExact);
  });
});

test('randomizationTest, sampled: within 4 standard errors of the exact p (moderate-20, 2^20 vectors)', () => {
  const s = sample('moderate-20');
  const exact = s.pRandomizationExact as number;
  for (const [trials, seed] of [[10_000, 1], [100_000, 2], [100_000, 3]] as const) {
    const r = randomizationTest(s.baseline, s.run, { trials, seed });
    expect([r.exact, r.trials]).toEqual([false, trials]);
    const se = Math.sqrt((exact * (1 - exact)) / trials);
    expect(Math.abs(r.p - exact)).toBeLessThanOrEqual(4 * se + 1 / trials);
  }
  // Enough trials to enumerate: exact again, equal to scipy's.
  expect(randomizationTest(s.baseline, s.run, { trials: 2 ** 20 }).p).toBe(exact);
});

test('randomizationTest, sampled: the same seed gives the same p, p is (1 + hits) / (1 + trials)', () => {
  const s = sample('dl-43');
  const a = randomizationTest(s.baseline, s.run, { trials: 5000, seed: 9 });
  expect(randomizationTest(s.baseline, s.run, { trials: 5000, seed: 9 }).p).toBe(a.p);
  expect(Math.abs(a.p * 5001 - Math.round(a.p * 5001))).toBeLessThan(1e-6);
  expect(Math.abs(a.p - s.pT)).toBeLessThan(0.05); // a large sample: close to the t-test's 0.61
  // Every difference positive and large: only the observed vector (and its mirror, 2 in 2^30) is as extreme.
  const tail = sample('tail-30');
  expect(randomizationTest(tail.baseline, tail.run, { trials: 10_000 }).p).toBe(1 / 10_001);
});

describe('edge cases', () => {
  test('no pairs: NaN; one pair: no t-test, randomization p = 1', () => {
    expect(pairedTTest([], []).p).toBeNaN();
    expect(randomizationTest([], []).p).toBeNaN();
    const one = pairedTTest([0.2], [0.9]);
    expect([one.n, one.df, one.meanDiff]).toEqual([1, 0, 0.9 - 0.2]);
    expect(one.t).toBeNaN();
    expect(one.p).toBeNaN();
    expect(randomizationTest([0.2], [0.9]).p).toBe(1);
  });

  test('all differences zero: p = 1 from both tests', () => {
    const x = [0.1, 0.5, 0.9, 0.3];
    expect(pairedTTest(x, x)).toEqual({ n: 4, meanDiff: 0, t: 0, df: 3, p: 1 });
    expect(randomizationTest(x, x).p).toBe(1);
    expect(randomizationTest(x, x, { trials: 3 }).p).toBe(1); // 2^0 = 1 vector: exact
  });

  test('all differences the same non-zero value: t-test p = 0, t = ±Infinity', () => {
    const r = pairedTTest([0.1, 0.2, 0.3], [0.35, 0.45, 0.55]); // 0.25 each, up to rounding
    expect([r.t, r.p]).toEqual([Infinity, 0]);
    expect(pairedTTest([0.35, 0.45, 0.55], [0.1, 0.2, 0.3]).t).toBe(-Infinity);
    // The sign-flip test is exact here: 2 of 8 vectors reach |Σ d|.
    expect(randomizationTest([0.1, 0.2, 0.3], [0.35, 0.45, 0.55]).p).toBe(2 / 8);
  });

  test('values equal up to floating-point noise count as equal', () => {
    // 0.1 + 0.2 ≠ 0.3 in doubles; the runs agree on every query all the same.
    const r = pairedTTest([0.3, 0.6, 0.7], [0.1 + 0.2, 0.2 + 0.4, 0.3 + 0.4]);
    expect(r.p).toBe(1);
  });

  test('refusals: NaN or infinite values, lengths that differ, bad trials or seed', () => {
    expect(() => pairedTTest([0.1, Number.NaN], [0.2, 0.3])).toThrow(/pair 1 is not finite/);
    expect(() => randomizationTest([0.1, 0.2], [0.2, Infinity])).toThrow(RangeError);
    expect(() => pairedTTest([0.1], [0.2, 0.3])).toThrow(/1 baseline values but 2 run values/);
    expect(() => randomizationTest([0.1], [0.2], { trials: 0 })).toThrow(/trials/);
    expect(() => randomizationTest([0.1], [0.2], { seed: -1 })).toThrow(/seed/);
  });
});
