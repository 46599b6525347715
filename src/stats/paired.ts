/**
 * Two-sided paired tests of a run against a baseline, on per-query values (query i of `run` is
 * paired with query i of `baseline`). Differences are run − baseline, so a positive mean
 * difference means the run scores higher.
 *
 * - `pairedTTest`: Student's paired t-test, t = mean(d) / (sd(d) / √n) with n − 1 degrees of
 *   freedom (scipy.stats.ttest_rel).
 * - `randomizationTest`: the paired randomization (sign-flip) test of the mean difference (Fisher;
 *   Smucker, Allan and Carterette, CIKM 2007): under the null hypothesis each pair's two values are
 *   exchangeable, so each difference is equally likely to have either sign. The p-value is the
 *   share of sign vectors whose |Σ ± d_i| is at least the observed |Σ d_i|:
 *   - exactly, over all 2^m sign vectors, when 2^m ≤ `trials` (m: the pairs with a non-zero
 *     difference; a zero difference changes no sum, so leaving it out changes no p-value), as
 *     scipy.stats.permutation_test(permutation_type='samples') does when it can enumerate;
 *   - otherwise from `trials` random sign vectors drawn from mulberry32(seed), counted as
 *     p = (1 + #{|Σ ± d_i| ≥ |Σ d_i|}) / (1 + trials) (the observed vector counts as one draw, so
 *     p is never 0: Phipson and Smyth 2010), as permutation_test does when it samples.
 *
 * Edge cases, the same in both: values must be finite (a NaN or infinity is a RangeError, as are
 * arrays of different lengths); sums within 1e-11 of the data's magnitude (Σ max(|x_i|, |y_i|))
 * count as equal, so floating-point noise in metric values neither makes nor breaks a tie.
 */
import { mulberry32 } from '../util/random.js';
import { studentTTwoSided } from './special.js';

export interface PairedTTest {
  /** Number of pairs. */
  n: number;
  /** Mean of run − baseline (NaN for no pairs). */
  meanDiff: number;
  /** The t statistic (±Infinity when every difference is the same non-zero value, 0 when all are zero). */
  t: number;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Two-sided p-value. */
  p: number;
}

export interface RandomizationOptions {
  /** Random sign vectors when the test cannot enumerate them all. @default RANDOMIZATION_DEFAULTS.trials */
  trials?: number;
  /** Seed of mulberry32 for the random sign vectors (an integer 0…2^32−1). @default RANDOMIZATION_DEFAULTS.seed */
  seed?: number;
}

export const RANDOMIZATION_DEFAULTS = { trials: 10_000, seed: 1 } as const;

export interface RandomizationTest {
  n: number;
  meanDiff: number;
  /** Two-sided p-value (NaN for no pairs). */
  p: number;
  /** Whether p comes from every sign vector (true) or from `trials` random ones. */
  exact: boolean;
  /** Sign vectors counted: 2^m when exact, else the trials asked for. */
  trials: number;
}

/** Relative tolerance under which two sums (or a spread) count as equal; see the module comment. */
const REL_TOL = 1e-11;

/** Differences run − baseline and the data's magnitude, after checking the inputs. */
function differences(baseline: readonly number[], run: readonly number[]): { d: number[]; scale: number } {
  if (baseline.length !== run.length) throw new RangeError(`paired test: ${baseline.length} baseline values but ${run.length} run values`);
  const d = new Array<number>(run.length);
  let scale = 0;
  for (let i = 0; i < run.length; i++) {
    const x = baseline[i] as number;
    const y = run[i] as number;
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`paired test: pair ${i} is not finite (baseline ${x}, run ${y})`);
    d[i] = y - x;
    scale += Math.max(Math.abs(x), Math.abs(y));
  }
  return { d, scale };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * Paired t-test, two-sided. Edge cases: fewer than 2 pairs leave the test undefined (t and p
 * NaN); when every difference is the same (sd = 0, within the tolerance above) the t statistic is
 * 0/0 or ±c/0: p = 1 when all differences are zero (the runs agree on every query) and p = 0 when
 * they are all the same non-zero value (where scipy gives NaN and 0).
 */
export function pairedTTest(baseline: readonly number[], run: readonly number[]): PairedTTest {
  const { d, scale } = differences(baseline, run);
  const n = d.length;
  const df = n - 1;
  const m = n > 0 ? mean(d) : NaN;
  if (n < 2) return { n, meanDiff: m, t: NaN, df, p: NaN };
  let lo = Infinity;
  let hi = -Infinity;
  let ss = 0;
  for (const v of d) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    ss += (v - m) * (v - m);
  }
  const tol = (REL_TOL * scale) / n; // on the scale of one value
  if (hi - lo <= tol) {
    if (Math.abs(m) <= tol) return { n, meanDiff: m, t: 0, df, p: 1 };
    return { n, meanDiff: m, t: m > 0 ? Infinity : -Infinity, df, p: 0 };
  }
  const t = m / Math.sqrt(ss / df / n);
  return { n, meanDiff: m, t, df, p: studentTTwoSided(t, df) };
}

/**
 * Paired randomization (sign-flip) test of the mean difference, two-sided, exact or sampled as the
 * module comment says. No pairs: p NaN. One pair, or differences all zero: p = 1 (every sign
 * vector is as extreme as the observed one).
 */
export function randomizationTest(baseline: readonly number[], run: readonly number[], opts: RandomizationOptions = {}): RandomizationTest {
  const trials = opts.trials ?? RANDOMIZATION_DEFAULTS.trials;
  const seed = opts.seed ?? RANDOMIZATION_DEFAULTS.seed;
  if (!Number.isSafeInteger(trials) || trials < 1) throw new RangeError(`randomization test: trials must be a positive integer, found ${trials}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`randomization test: seed must be an integer 0…2^32−1, found ${seed}`);
  const { d: all, scale } = differences(baseline, run);
  const n = all.length;
  if (n === 0) return { n, meanDiff: NaN, p: NaN, exact: true, trials: 0 };
  const meanDiff = mean(all);
  const d = all.filter((v) => v !== 0);
  const m = d.length;
  let observed = 0;
  for (const v of d) observed += v;
  // Compare |sum| ≥ |observed| − tol: a sum equal to the observed one up to rounding counts as extreme.
  const bar = Math.abs(observed) - REL_TOL * scale;

  if (m < 31 && 2 ** m <= trials) {
    const total = 2 ** m;
    let hits = 0;
    for (let signs = 0; signs < total; signs++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += (signs >>> i) & 1 ? -(d[i] as number) : (d[i] as number);
      if (Math.abs(s) >= bar) hits++;
    }
    return { n, meanDiff, p: hits / total, exact: true, trials: total };
  }

  const rng = mulberry32(seed);
  let hits = 0;
  for (let t = 0; t < trials; t++) {
    let s = 0;
    let word = 0;
    for (let i = 0; i < m; i++) {
      // rng() is a 32-bit integer / 2^32, so × 2^32 gives the integer back: 32 fair signs per draw.
      if ((i & 31) === 0) word = rng() * 4294967296;
      s += word & 1 ? -(d[i] as number) : (d[i] as number);
      word >>>= 1;
    }
    if (Math.abs(s) >= bar) hits++;
  }
  return { n, meanDiff, p: (1 + hits) / (1 + trials), exact: false, trials };
}
