/**
 * Special functions behind the paired t-test: ln Γ (Stirling's series), the regularized incomplete
 * beta function I_x(a, b) (Numerical Recipes' `betai`: the continued fraction by the modified Lentz
 * method, on whichever side of (a+1)/(a+b+2) it converges fast) and Student's t distribution built
 * on it. Double precision throughout.
 */

/** B_2k / (2k (2k − 1)), k = 1…8: the terms of Stirling's series for ln Γ. */
const STIRLING = [1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400];
/** Below this, ln Γ is shifted up by the recurrence; at 15 the series' next term is < 1e-19. */
const STIRLING_FROM = 15;

/**
 * ln Γ(x) for x > 0 (RangeError otherwise): Stirling's series with eight Bernoulli terms, after
 * Γ(x) = Γ(x + k) / (x (x + 1) … (x + k − 1)) lifts x to 15 or more. About 1e-15 absolute
 * for x ≤ 15, relative beyond.
 */
export function lnGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`lnGamma needs a finite x > 0, found ${x}`);
  let y = x;
  let prod = 1;
  while (y < STIRLING_FROM) prod *= y++;
  const inv = 1 / y;
  const inv2 = inv * inv;
  let series = 0;
  for (let k = STIRLING.length - 1; k >= 0; k--) series = series * inv2 + (STIRLING[k] as number);
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series * inv - Math.log(prod);
}

const CF_EPS = 1e-16;
const CF_TINY = 1e-300;
/** Enough for a, b up to ~1e8: the fraction needs O(√max(a, b)) terms (Numerical Recipes 6.4). */
const CF_MAX_TERMS = 100_000;

/** The continued fraction of I_x(a, b) (Numerical Recipes `betacf`, modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < CF_TINY) d = CF_TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= CF_MAX_TERMS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < CF_TINY) d = CF_TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < CF_TINY) c = CF_TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < CF_EPS) return h;
  }
  throw new RangeError(`incomplete beta: the continued fraction did not converge for a = ${a}, b = ${b}, x = ${x}`);
}

/**
 * I_x(a, b) = B(x; a, b) / B(a, b), the regularized incomplete beta function, for a, b > 0 and
 * 0 ≤ x ≤ 1. `y` is 1 − x when the caller knows it more precisely than `1 - x` (as studentT does).
 */
export function incompleteBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) throw new RangeError(`incomplete beta needs finite a, b > 0, found a = ${a}, b = ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs 0 ≤ x ≤ 1, found ${x}`);
  if (x === 0) return 0;
  if (x === 1 || y === 0) return 1;
  // x^a (1−x)^b / (a B(a, b)), in logs.
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(y));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, y)) / b;
}

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`Student's t needs finite degrees of freedom > 0, found ${df}`);
}

/**
 * P(|T| ≥ |t|) for T ~ Student's t with `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2),
 * computed directly (no 1 − cdf), so tiny p-values keep their relative precision. NaN for a NaN t.
 */
export function studentTTwoSided(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  return incompleteBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

/** P(T ≤ t) for T ~ Student's t with `df` degrees of freedom. NaN for a NaN t. */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSided(t, df) / 2;
  return t > 0 ? 1 - tail : tail;
}

/**
 * The p-quantile of Student's t with `df` degrees of freedom: the t with P(T ≤ t) = p, for
 * 0 < p < 1 (RangeError otherwise). Bisection on studentTCdf, to the last bits of a double: slower
 * than a dedicated inverse, but it inverts exactly the CDF the tests use, and callers need few
 * (the 95% interval of a mean over S seeds takes one, t_{0.975, S−1}).
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`Student's t quantile needs 0 < p < 1, found ${p}`);
  if (p === 0.5) return 0;
  // By symmetry, find the upper quantile of max(p, 1 − p) through its tail P(T ≥ t) = q.
  const upper = p > 0.5;
  const q = upper ? 1 - p : p;
  const tail = (t: number): number => studentTTwoSided(t, df) / 2;
  let lo = 0;
  let hi = 1;
  while (tail(hi) > q) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) return upper ? Infinity : -Infinity;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > q) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  return upper ? t : -t;
}
