/**
 * The contrast permutation test on designs whose exact permutation distribution is counted by hand;
 * the Monte Carlo p-value must land within 4 standard errors of the exact one.
 */
import { contrastPermutationTest } from '../../src/analysis/permutation.js';
import type { Stratum } from '../../src/analysis/permutation.js';

const rows = (...r: number[][]): Float64Array[] => r.map((x) => Float64Array.from(x));
const near = (p: number, exact: number, B: number): void => {
  const se = Math.sqrt((exact * (1 - exact)) / B);
  expect(Math.abs(p - exact)).toBeLessThan(4 * se + 1 / B);
};

// Columns: (a) relevant 1, 1 vs non-relevant 0, 0; (b) constant 5; (c) relevant 3, 0 vs 0, 0.
const one: Stratum = { name: 'd', relevant: rows([1, 5, 3], [1, 5, 0]), nonrelevant: rows([0, 5, 0], [0, 5, 0]) };

test('contrast = mean over relevant − mean over non-relevant', () => {
  const t = contrastPermutationTest([one], { permutations: 10, seed: 1 });
  expect(Array.from(t.contrast)).toEqual([1, 0, 1.5]);
});

test('two-sided p-values match the exact permutation distribution', () => {
  const B = 4000;
  const t = contrastPermutationTest([one], { permutations: B, seed: 3 });
  // (a) Of the C(4,2) = 6 labelings, {1,1} gives +1 and {0,0} gives −1: P(|T*| ≥ 1) = 2/6.
  near(t.p[0] as number, 1 / 3, B);
  // (b) Every labeling gives 0 ≥ 0: p = 1 exactly.
  expect(t.p[1]).toBe(1);
  // (c) With the 3 on the relevant side T* = +1.5, else −1.5: |T*| always reaches 1.5, p = 1 exactly
  //     (a one-sided test would say ½).
  expect(t.p[2]).toBe(1);
});

test('a clear difference gets the smallest p the permutations allow, 1 / (1 + B)', () => {
  // 10 relevant near 1, 10 non-relevant near 0: only 2 of C(20,10) = 184,756 labelings reach |T| ≥ the observed one.
  const rel = rows(...Array.from({ length: 10 }, (_v, i) => [1 + i / 100]));
  const non = rows(...Array.from({ length: 10 }, (_v, i) => [i / 100]));
  const t = contrastPermutationTest([{ name: 'd', relevant: rel, nonrelevant: non }], { permutations: 999, seed: 1 });
  expect(t.p[0]).toBe(1 / 1000);
  expect(t.contrast[0]).toBeCloseTo(1, 12);
  // More relevant than non-relevant pairs (the code sums the smaller side): the same answer.
  const u = contrastPermutationTest([{ name: 'd', relevant: non, nonrelevant: rel.slice(0, 4) }], { permutations: 999, seed: 1 });
  expect(u.p[0]).toBe(1 / 1000);
});

test('several datasets: labels permuted within each, the statistic the mean of their contrasts', () => {
  // Each dataset as column (a): T_d ∈ {+1 (1/6), −1 (1/6), 0 (4/6)}; |mean| ≥ 1 only if both are +1 or both −1: 2/36.
  // (Pooling the 8 pairs and permuting across datasets would give 2/C(8,4) = 2/70 instead.)
  const d = (name: string): Stratum => ({ name, relevant: rows([1], [1]), nonrelevant: rows([0], [0]) });
  const B = 6000;
  const t = contrastPermutationTest([d('a'), d('b')], { permutations: B, seed: 5 });
  expect(t.contrast[0]).toBe(1);
  near(t.p[0] as number, 2 / 36, B);
  // Opposite contrasts cancel: a mean of 0, reached by every labeling.
  const flipped: Stratum = { name: 'c', relevant: rows([0], [0]), nonrelevant: rows([1], [1]) };
  const c = contrastPermutationTest([d('a'), flipped], { permutations: 100, seed: 5 });
  expect(c.contrast[0]).toBe(0);
  expect(c.p[0]).toBe(1);
});

test('seeded: the same seed gives the same p-values, another seed other ones', () => {
  const a = contrastPermutationTest([one], { permutations: 300, seed: 9 });
  expect(contrastPermutationTest([one], { permutations: 300, seed: 9 }).p).toEqual(a.p);
  const others = [10, 11, 12].map((seed) => contrastPermutationTest([one], { permutations: 300, seed }).p[0]);
  expect(others.some((p) => p !== a.p[0])).toBe(true);
});

test('a dataset without relevant or non-relevant pairs cannot be tested', () => {
  expect(() => contrastPermutationTest([{ name: 'dl19', relevant: rows([1]), nonrelevant: [] }], { permutations: 10, seed: 1 })).toThrow(
    'dl19: a contrast needs relevant and non-relevant pairs; it has 1 relevant and 0 non-relevant',
  );
  expect(() => contrastPermutationTest([one], { permutations: 0, seed: 1 })).toThrow('permutations must be an integer >= 1, got 0');
});
