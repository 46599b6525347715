/** ln Γ, the regularized incomplete beta and Student's t against closed forms and scipy.stats.t. */
import { incompleteBeta, lnGamma, studentTCdf, studentTQuantile, studentTTwoSided } from '../../src/stats/special.js';
import { expectClose, REFERENCE } from './reference.js';

test('lnGamma: ln((n − 1)!) at integers, ln √π at 1/2, Γ(x + 1) = x Γ(x)', () => {
  let fact = 1;
  for (let n = 1; n <= 25; n++) {
    expectClose(lnGamma(n), Math.log(fact), 1e-14, 1e-14);
    fact *= n;
  }
  expectClose(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-14);
  for (const x of [0.1, 0.7, 3.3, 17.5, 250.25]) expectClose(lnGamma(x + 1), Math.log(x) + lnGamma(x), 1e-13, 1e-14);
  expect(() => lnGamma(0)).toThrow(RangeError);
  expect(() => lnGamma(Number.NaN)).toThrow(RangeError);
});

test('incompleteBeta: closed forms and its symmetry', () => {
  for (const x of [0, 0.001, 0.2, 0.5, 0.77, 0.999, 1]) {
    expectClose(incompleteBeta(x, 1, 1), x, 1e-14, 1e-15);
    for (const a of [0.5, 2, 7.5]) {
      expectClose(incompleteBeta(x, a, 1), x ** a, 1e-13, 1e-15); // I_x(a, 1) = x^a
      expectClose(incompleteBeta(x, 1, a), 1 - (1 - x) ** a, 1e-13, 1e-15); // I_x(1, b) = 1 − (1 − x)^b
      expectClose(incompleteBeta(x, a, 3.25), 1 - incompleteBeta(1 - x, 3.25, a), 1e-12, 1e-14);
    }
  }
  // I_x(1/2, 1/2) = (2/π) asin √x
  for (const x of [0.01, 0.3, 0.9]) expectClose(incompleteBeta(x, 0.5, 0.5), (2 / Math.PI) * Math.asin(Math.sqrt(x)), 1e-13);
  expect(() => incompleteBeta(1.5, 1, 1)).toThrow(RangeError);
  expect(() => incompleteBeta(0.5, 0, 1)).toThrow(RangeError);
});

test("Student's t: the closed forms for 1 and 2 degrees of freedom", () => {
  for (const t of [-30, -2, -0.5, 0, 0.1, 1, 4, 1e3]) {
    expectClose(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, 1e-15);
    expectClose(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-13, 1e-15);
  }
  expect(studentTTwoSided(Infinity, 5)).toBe(0);
  expect(studentTTwoSided(Number.NaN, 5)).toBeNaN();
  expect(() => studentTCdf(1, 0)).toThrow(RangeError);
});

test(`Student's t cdf and two-sided p match scipy.stats.t (${REFERENCE.studentT.length} points, df 1…7000)`, () => {
  for (const r of REFERENCE.studentT) {
    expectClose(studentTCdf(r.t, r.df), r.cdf, 1e-11, 1e-15);
    // The tail keeps its relative precision (observed ≤ 4e-12 relative, down to p ≈ 1.4e-86 at t = 20, df = 7000).
    expectClose(studentTTwoSided(r.t, r.df), r.twoSided, 1e-10, 1e-300);
  }
});

test("Student's t quantile: closed forms for 1, 2 and 4 degrees of freedom, the t table, scipy's points inverted", () => {
  for (const p of [1e-9, 0.001, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999]) {
    expectClose(studentTQuantile(p, 1), p === 0.5 ? 0 : -1 / Math.tan(Math.PI * p), 1e-10, 1e-12); // tan(π(p − ½)) = −cot(πp)
    expectClose(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-10, 1e-12);
    // ν = 4: α = 4p(1 − p), q = cos(arccos(√α) / 3) / √α, t = sign(p − ½) · 2√(q − 1).
    const a = 4 * p * (1 - p);
    const q = Math.cos(Math.acos(Math.sqrt(a)) / 3) / Math.sqrt(a);
    expectClose(studentTQuantile(p, 4), Math.sign(p - 0.5) * 2 * Math.sqrt(q - 1), 1e-9, 1e-12);
  }
  // Any printed t table: t(0.975; 9) = 2.262, t(0.975; 30) = 2.042.
  expect(studentTQuantile(0.975, 9).toFixed(3)).toBe('2.262');
  expect(studentTQuantile(0.975, 30).toFixed(3)).toBe('2.042');
  for (const r of REFERENCE.studentT) {
    if (r.cdf < 1e-12 || r.cdf > 1 - 1e-9 || r.t === 0) continue; // a cdf this close to 1 no longer pins t
    expectClose(studentTQuantile(r.cdf, r.df), r.t, 1e-7);
  }
  expect(() => studentTQuantile(0, 3)).toThrow(RangeError);
  expect(() => studentTQuantile(1, 3)).toThrow(RangeError);
  expect(() => studentTQuantile(0.5, 0)).toThrow(RangeError);
});
