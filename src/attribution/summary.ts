/**
 * Per-pair results of an attribution method, reduced from the [P,T,W] accumulators: sums over the
 * pair's real tokens, sums per segment ([CLS], query, first [SEP], passage, second [SEP]) and,
 * on request, the per-token values. Reductions in float64, stored as float32.
 */
import type { SiteName } from '../model/sites.js';
import { segmentIndex, SEGMENT_NAMES } from './baselines.js';
import type { Segments } from './baselines.js';

/** One pair's attributions: per-site sums over tokens and per segment, optionally per token, with F(x), F(x′) and completeness. */
export interface PairAttribution {
  segments: Segments;
  /** Σ over tokens, [W] per site. */
  sum: Map<SiteName, Float32Array>;
  /** Σ per segment, [5, W] row-major per site (order: SEGMENT_NAMES). */
  bySegment: Map<SiteName, Float32Array>;
  /** [length, W] per site, when asked for. */
  perToken?: Map<SiteName, Float32Array>;
  /** F(x) and F(x′) (NIG), or F(y) and F(0) of the first attributed layer (layer IG). */
  targetInput: number;
  targetBaseline: number;
  /** Per layer: Σ attributions on the cut site − (targetInput − targetBaseline); NaN where not computed. */
  completeness: Float64Array;
  /**
   * Per layer: completeness / |F(x) − F(x′)| (the change that layer's attributions should add up
   * to), signed as completeness; NaN where completeness is, or where F does not change.
   */
  completenessRelative: Float64Array;
}

export interface SummaryInput {
  /** Accumulators [P,T,W] per site. */
  perSite: Map<SiteName, Float32Array>;
  /** Sites whose sums are reported (others are only used for completeness). */
  requested: ReadonlySet<SiteName>;
  segments: Segments[];
  T: number;
  numLayers: number;
  targetInput: ArrayLike<number>;
  targetBaseline: ArrayLike<number>;
  perToken: boolean;
  /** Site whose total gives layer l's completeness; default `layer.{l}.out`. */
  cutSite?: (layer: number) => SiteName;
  /** F at the baseline per layer and row ([layer][row]) where it differs by layer (layer IG). */
  baselineByLayer?: ReadonlyMap<number, ArrayLike<number>>;
}

export function summarize(s: SummaryInput): PairAttribution[] {
  const P = s.segments.length;
  const cut = s.cutSite ?? ((l: number): SiteName => `layer.${l}.out`);
  return s.segments.map((seg, p) => {
    const seg5 = segmentIndex(seg, s.T);
    const sum = new Map<SiteName, Float32Array>();
    const bySegment = new Map<SiteName, Float32Array>();
    const perToken = new Map<SiteName, Float32Array>();
    const totals = new Map<SiteName, number>();
    for (const [site, data] of s.perSite) {
      const W = data.length / (P * s.T);
      const sums = new Float64Array(W);
      const segs = new Float64Array(5 * W);
      let total = 0;
      for (let t = 0; t < seg.length; t++) {
        const off = (p * s.T + t) * W;
        const k = seg5[t] as number;
        for (let j = 0; j < W; j++) {
          const v = data[off + j] as number;
          sums[j] = (sums[j] as number) + v;
          segs[k * W + j] = (segs[k * W + j] as number) + v;
          total += v;
        }
      }
      totals.set(site, total);
      if (!s.requested.has(site)) continue;
      sum.set(site, Float32Array.from(sums));
      bySegment.set(site, Float32Array.from(segs));
      if (s.perToken) perToken.set(site, data.slice(p * s.T * W, (p * s.T + seg.length) * W));
    }
    const fx = s.targetInput[p] as number;
    const fb = s.targetBaseline[p] as number;
    const completeness = new Float64Array(s.numLayers).fill(NaN);
    const completenessRelative = new Float64Array(s.numLayers).fill(NaN);
    for (let l = 0; l < s.numLayers; l++) {
      const t = totals.get(cut(l));
      const fbl = s.baselineByLayer ? s.baselineByLayer.get(l)?.[p] : fb;
      if (t === undefined || fbl === undefined) continue;
      completeness[l] = t - (fx - fbl);
      completenessRelative[l] = relativeError(completeness[l] as number, fx - fbl);
    }
    return { segments: seg, sum, bySegment, ...(s.perToken && { perToken }), targetInput: fx, targetBaseline: fb, completeness, completenessRelative };
  });
}

/** error / |change|, NaN where the change is 0 (nothing to be relative to). */
export function relativeError(error: number, change: number): number {
  return change === 0 ? NaN : error / Math.abs(change);
}

export { SEGMENT_NAMES };
