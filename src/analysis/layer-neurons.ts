/**
 * The demo's neuron choice, as a library function: per layer, the mean attribution of every FFN
 * neuron over the chosen pairs (the relevant ones, when pairs are graded), that layer's top k by
 * mean, and a random control of k neurons of the same layer drawn from a seed, so that masking
 * the top neurons can be set against masking as many random ones layer by layer.
 */
import type { PairAttribution } from '../attribution/summary.js';
import { CelensError } from '../errors.js';
import { layerSite } from '../model/sites.js';
import type { LayerSiteKind } from '../model/sites.js';
import { mulberry32, sampleIndices } from '../util/random.js';

/** Options of pickLayerNeurons. */
export interface LayerNeuronsOptions {
  /** Neurons picked per layer (fewer where a layer is narrower). @default 10 */
  top?: number;
  /** Seed of the random control. @default 1 */
  seed?: number;
  /** One flag per result: the pairs the mean is taken over. @default every pair */
  include?: readonly boolean[];
  /** The site whose per-neuron sums are read, in every layer. @default 'ffn.pre' */
  site?: LayerSiteKind;
}

export const LAYER_NEURONS_DEFAULTS = { top: 10, seed: 1, site: 'ffn.pre' } as const;

/** What pickLayerNeurons chose: per-layer means, the top neurons and the matched random control. */
export interface LayerNeurons {
  /** Per layer: each neuron's mean attribution over the included pairs (float32 sums of v / count). */
  means: Float32Array[];
  /** Pairs averaged. */
  count: number;
  /** Per layer: the `top` neurons of highest mean, highest first (ties: lower index first). */
  top: number[][];
  /** Per layer: as many neurons of that layer drawn uniformly without replacement, ascending. */
  random: number[][];
}

/** Picks each layer's top neurons by mean attribution, and a matched random control. */
export function pickLayerNeurons(results: readonly PairAttribution[], widths: readonly number[], opts: LayerNeuronsOptions = {}): LayerNeurons {
  const k = opts.top ?? LAYER_NEURONS_DEFAULTS.top;
  if (!Number.isInteger(k) || k < 0) throw new CelensError(`top must be an integer >= 0, got ${k}`);
  const include = opts.include ?? results.map(() => true);
  if (include.length !== results.length) throw new CelensError(`include has ${include.length} flags for ${results.length} results`);
  const kind = opts.site ?? LAYER_NEURONS_DEFAULTS.site;
  const count = include.filter(Boolean).length;
  const means = widths.map((I, l) => {
    const mean = new Float32Array(I);
    const site = layerSite(l, kind);
    results.forEach((r, i) => {
      if (!include[i]) return;
      const v = r.sum.get(site);
      if (v?.length !== I) throw new CelensError(`result ${i} has no ${site} sums of ${I} neurons`);
      for (let j = 0; j < I; j++) mean[j] = (mean[j] as number) + (v[j] as number) / count;
    });
    return mean;
  });
  const rng = mulberry32(opts.seed ?? LAYER_NEURONS_DEFAULTS.seed);
  const top: number[][] = [];
  const random: number[][] = [];
  means.forEach((mean, l) => {
    const I = widths[l] as number;
    const order = Array.from(mean.keys()).sort((a, b) => (mean[b] as number) - (mean[a] as number) || a - b);
    const picked = order.slice(0, Math.min(k, I));
    top.push(picked);
    random.push(sampleIndices(rng, I, picked.length));
  });
  return { means, count, top, random };
}

/** Per-layer neuron lists as mask JSON (`{"layer.{l}.ffn": [...]}`), for parseMasks. */
export function layerNeuronMask(lists: readonly (readonly number[])[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  lists.forEach((idx, l) => (out[`layer.${l}.ffn`] = [...idx]));
  return out;
}
