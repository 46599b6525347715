/**
 * Quadrature as data (Captum's approximation_methods): every method is a list of path points α
 * and, where the method weights gradients, a weight per point. All computed in float64.
 */

export interface Quadrature {
  alphas: number[];
  weights: number[];
}

/** NIG's path points: α_k = k/(m−1), k = 0…m−1, both ends included (Vast et al.). */
export function inclusiveAlphas(m: number): number[] {
  checkSteps(m, 2);
  return Array.from({ length: m }, (_v, k) => k / (m - 1));
}

/**
 * A caller's own NIG path points, checked: finite, strictly ascending, first 0 and last 1. The ends
 * are required because NIG reads F(x′) and F(x) there and credits every interval [α_k, α_{k+1}]
 * between them; a grid without them (Gauss–Legendre nodes, say) would leave [0, α_0] and
 * [α_last, 1] out of the attributions and of the completeness check. Add 0 and 1 to such a grid.
 */
export function checkPathAlphas(alphas: readonly number[]): number[] {
  const where = (k: number): string => `alphas[${k}] = ${String(alphas[k])}`;
  if (alphas.length < 2) throw new RangeError(`alphas must hold at least 2 points, 0 and 1 (got ${alphas.length})`);
  alphas.forEach((a, k) => {
    if (!Number.isFinite(a)) throw new RangeError(`alphas must be finite numbers: ${where(k)}`);
    if (k > 0 && !(a > (alphas[k - 1] as number))) throw new RangeError(`alphas must be strictly ascending: ${where(k)} after ${where(k - 1)}`);
  });
  const last = alphas.length - 1;
  if (alphas[0] !== 0 || alphas[last] !== 1) {
    throw new RangeError(`alphas must start at 0 and end at 1, where F(x′) and F(x) are read (got ${where(0)}, ${where(last)}); add the ends to the grid`);
  }
  return [...alphas];
}

/** Left Riemann: α_k = k/m, w_k = 1/m, k = 0…m−1 (never evaluates α = 1). */
export function riemannLeft(m: number): Quadrature {
  checkSteps(m, 1);
  return { alphas: Array.from({ length: m }, (_v, k) => k / m), weights: new Array<number>(m).fill(1 / m) };
}

/** Trapezoid on m points 0…1: end weights halved (Captum riemann_trapezoid). */
export function trapezoid(m: number): Quadrature {
  checkSteps(m, 2);
  const h = 1 / (m - 1);
  return {
    alphas: Array.from({ length: m }, (_v, k) => k / (m - 1)),
    weights: Array.from({ length: m }, (_v, k) => (k === 0 || k === m - 1 ? h / 2 : h)),
  };
}

/**
 * Gauss–Legendre on [0, 1] (Captum's default): numpy.polynomial.legendre.leggauss(m) nodes t and
 * weights v on [−1, 1], mapped to α = (1 + t)/2, w = v/2; ascending α. Nodes by Newton's method on
 * the Legendre recurrence, from the Chebyshev-like initial guess cos(π(i − ¼)/(m + ½)).
 */
export function gaussLegendre(m: number): Quadrature {
  checkSteps(m, 1);
  const alphas = new Array<number>(m);
  const weights = new Array<number>(m);
  for (let i = 1; i <= Math.ceil(m / 2); i++) {
    let t = Math.cos((Math.PI * (i - 0.25)) / (m + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = t;
      for (let k = 2; k <= m; k++) [p0, p1] = [p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k];
      if (m === 1) [p0, p1] = [1, t];
      dp = (m * (t * p1 - p0)) / (t * t - 1);
      const dt = p1 / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-16) break;
    }
    const w = 2 / ((1 - t * t) * dp * dp);
    // t is the i-th largest node; its mirror −t the i-th smallest.
    alphas[m - i] = (1 + t) / 2;
    weights[m - i] = w / 2;
    alphas[i - 1] = (1 - t) / 2;
    weights[i - 1] = w / 2;
  }
  return { alphas, weights };
}

export type LayerIgRule = 'left' | 'trapezoid' | 'gauss-legendre';
export const LAYER_IG_RULES: readonly LayerIgRule[] = ['left', 'trapezoid', 'gauss-legendre'];

export function layerIgQuadrature(rule: LayerIgRule, m: number): Quadrature {
  switch (rule) {
    case 'left':
      return riemannLeft(m);
    case 'trapezoid':
      return trapezoid(m);
    case 'gauss-legendre':
      return gaussLegendre(m);
  }
}

function checkSteps(m: number, min: number): void {
  if (!Number.isInteger(m) || m < min) throw new RangeError(`steps must be an integer >= ${min}, got ${m}`);
}
