/** Quadrature points and weights against the fixture's (numpy/Captum) values and first principles. */
import { gaussLegendre, inclusiveAlphas, riemannLeft, trapezoid } from '../../src/attribution/quadrature.js';
import { maxAbsDiff, ref, reference } from '../helpers/fixture.js';

// The reader widens F64 to float32, so compare our float64 values rounded to float32: bit-equal.
const f32 = (a: number[]): Float32Array => Float32Array.from(a);

test('Gauss–Legendre and left Riemann match the fixture (numpy leggauss via Captum)', async () => {
  const refs = await reference();
  const gl = gaussLegendre(20);
  expect(maxAbsDiff(f32(gl.alphas), ref(refs, 'ig.gausslegendre.alphas').data as Float32Array)).toBe(0);
  expect(maxAbsDiff(f32(gl.weights), ref(refs, 'ig.gausslegendre.weights').data as Float32Array)).toBe(0);
  const rl = riemannLeft(20);
  expect(maxAbsDiff(f32(rl.alphas), ref(refs, 'ig.riemann_left.alphas').data as Float32Array)).toBe(0);
  expect(maxAbsDiff(f32(rl.weights), ref(refs, 'ig.riemann_left.weights').data as Float32Array)).toBe(0);
  expect(maxAbsDiff(f32(gaussLegendre(21).alphas), ref(refs, 'cond.gausslegendre.alphas').data as Float32Array)).toBe(0);
  expect(maxAbsDiff(f32(inclusiveAlphas(21)), ref(refs, 'cond.riemann_trapezoid.alphas').data as Float32Array)).toBe(0);
  expect(maxAbsDiff(f32(inclusiveAlphas(20)), ref(refs, 'nig.m20.alphas').data as Float32Array)).toBe(0);
  expect(maxAbsDiff(f32(inclusiveAlphas(200)), ref(refs, 'nig.m200.alphas').data as Float32Array)).toBe(0);
});

test('Gauss–Legendre integrates polynomials of degree 2m−1 exactly; weights sum to 1', () => {
  for (const m of [1, 2, 3, 7, 50]) {
    const { alphas, weights } = gaussLegendre(m);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 13);
    const deg = 2 * m - 1;
    const integral = alphas.reduce((s, a, i) => s + (weights[i] as number) * a ** deg, 0);
    expect(integral).toBeCloseTo(1 / (deg + 1), 12);
    for (let i = 1; i < m; i++) expect(alphas[i] as number).toBeGreaterThan(alphas[i - 1] as number);
  }
});

test('trapezoid is exact for linear functions', () => {
  const { alphas, weights } = trapezoid(11);
  expect(alphas.reduce((s, a, i) => s + (weights[i] as number) * (3 * a + 1), 0)).toBeCloseTo(2.5, 14);
});
