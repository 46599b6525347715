/**
 * The whole signed distribution of per-neuron values, layer by layer: what a top-p% set leaves
 * out. A set of the 21 most positive neurons says nothing of a layer whose negative values are
 * five times larger; these summaries do — quantiles, extremes, how many neurons are positive and
 * negative, and the positive and negative mass (Σ of the positive values, Σ of the negative ones).
 *
 * Quantiles interpolate linearly between order statistics (numpy's default `linear`, R's type 7):
 * q(p) = x₍ⱼ₎ + (h − j)(x₍ⱼ₊₁₎ − x₍ⱼ₎) with h = p·(n − 1), j = ⌊h⌋, values sorted ascending from x₍₀₎.
 */
import type { LayerValues } from './aggregate.js';

/** One layer's signed values summarized. */
export interface LayerSummary {
  layer: number;
  neurons: number;
  min: number;
  q05: number;
  q25: number;
  median: number;
  q75: number;
  q95: number;
  max: number;
  mean: number;
  /** Neurons with a value > 0, < 0 and = 0. */
  positive: number;
  negative: number;
  zero: number;
  /** Σ of the positive values and Σ of the negative values (≤ 0). */
  sumPositive: number;
  sumNegative: number;
}

/** The p-quantile (0 ≤ p ≤ 1) of values sorted ascending, by linear interpolation (see the file comment). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = p * (n - 1);
  const j = Math.floor(h);
  const lo = sorted[j] as number;
  return j + 1 < n ? lo + (h - j) * ((sorted[j + 1] as number) - lo) : lo;
}

/** A summary of every layer that holds values (layers of width 0 are left out). */
export function layerSummaries(values: LayerValues): LayerSummary[] {
  const out: LayerSummary[] = [];
  values.forEach((v, layer) => {
    if (v.length === 0) return;
    const s = Float64Array.from(v).sort();
    let positive = 0;
    let negative = 0;
    let sumPositive = 0;
    let sumNegative = 0;
    let sum = 0;
    for (const x of s) {
      sum += x;
      if (x > 0) {
        positive++;
        sumPositive += x;
      } else if (x < 0) {
        negative++;
        sumNegative += x;
      }
    }
    out.push({
      layer,
      neurons: s.length,
      min: s[0] as number,
      q05: quantile(s, 0.05),
      q25: quantile(s, 0.25),
      median: quantile(s, 0.5),
      q75: quantile(s, 0.75),
      q95: quantile(s, 0.95),
      max: s[s.length - 1] as number,
      mean: sum / s.length,
      positive,
      negative,
      zero: s.length - positive - negative,
      sumPositive,
      sumNegative,
    });
  });
  return out;
}
