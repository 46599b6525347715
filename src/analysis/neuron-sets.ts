/**
 * Neuron sets: selection rules over per-neuron values, set algebra, and the mask JSON the model
 * takes (`{"layer.3.ffn": [7, 12]}`, model/masks.ts), so a selected set can be pruned directly.
 *
 * The paper's rule (Vast et al., ICTIR 2024): rank all neurons of all layers together by their
 * signed mean NIG and keep the top p% (p = 1 for "relevance neurons"). Counts round up,
 * n = ⌈p/100 · N⌉ (util/share-count.ts, the rule pruning budgets follow too): any p > 0 keeps at
 * least one neuron, and "top 1%" never keeps fewer than 1% (1% of 3×64 = 1.92 → 2). Ties break
 * by (layer, index), so a selection is reproducible.
 */
import { CelensError } from '../errors.js';
import { shareCount } from '../util/share-count.js';
import type { MaskTarget } from '../model/masks.js';
import type { LayerValues } from './aggregate.js';

/**
 * `top-p:P` / `bottom-p:P`: global top (most positive) / bottom (most negative) P% by signed value;
 * `abs-top-p:P`: by |value|; `top-k:K` / `bottom-k:K`: K per layer; `magnitude:P`: top P% by mean
 * |activation| (a baseline that uses no attribution; values from an activation-statistics file).
 */
export type Selector =
  | { kind: 'top-p' | 'bottom-p' | 'abs-top-p' | 'magnitude'; percent: number }
  | { kind: 'top-k' | 'bottom-k'; k: number };

export interface Neuron {
  layer: number;
  index: number;
  /** The value the rule ranked (a combined set: the mean over its parts). */
  value: number;
  /** A combined set: the value in each part, by part name. */
  values?: Record<string, number>;
  /** With a contrast permutation test (set-statistics.ts): the neuron's p-value, and adjusted over all neurons. */
  p?: number;
  pAdjusted?: number;
  /** With a bootstrap over queries (bootstrap.ts): the share of replicate sets that hold the neuron. */
  frequency?: number;
}

/** A named, ranked set of FFN neurons (layer, index, value), and the rule and datasets that made it. */
export interface NeuronSet {
  /** e.g. `dl19/top-p:1`, `intersect/top-p:1`, `fused/top-p:1`, `covid-minus-dl19/top-p:1`. */
  name: string;
  /** The selector as written (`top-p:1`). */
  rule: string;
  kind: 'dataset' | 'intersect' | 'fused' | 'diff' | 'magnitude';
  /** Datasets the set was computed from. */
  datasets: string[];
  /** In rank order (best first); an intersection keeps its first part's order. */
  neurons: Neuron[];
}

export function parseSelector(s: string): Selector {
  const m = /^([a-z-]+):(\d+(?:\.\d+)?)$/.exec(s);
  const kind = m?.[1];
  const n = Number(m?.[2]);
  if (kind === 'top-k' || kind === 'bottom-k') {
    if (Number.isInteger(n) && n >= 1) return { kind, k: n };
  } else if (kind === 'top-p' || kind === 'bottom-p' || kind === 'abs-top-p' || kind === 'magnitude') {
    if (n > 0 && n <= 100) return { kind, percent: n };
  }
  throw new CelensError(`selection '${s}' is not one of top-p:P, bottom-p:P, abs-top-p:P, magnitude:P (0 < P <= 100, percent of all neurons) or top-k:K, bottom-k:K (K >= 1 per layer)`);
}

export function formatSelector(s: Selector): string {
  return 'k' in s ? `${s.kind}:${s.k}` : `${s.kind}:${s.percent}`;
}

/** n = ⌈p/100 · total⌉, by the rule pruning budgets share (util/share-count.ts). */
export function topPercentCount(total: number, percent: number): number {
  return shareCount(total, percent / 100);
}

/** The neurons a selector keeps, best first. */
export function selectNeurons(values: LayerValues, sel: Selector): Neuron[] {
  // Sort key: larger is better.
  const score = sel.kind.startsWith('bottom') ? (v: number): number => -v : sel.kind === 'abs-top-p' ? Math.abs : (v: number): number => v;
  const rank = (a: Neuron, b: Neuron): number => score(b.value) - score(a.value) || a.layer - b.layer || a.index - b.index;
  const layerNeurons = (l: number): Neuron[] => Array.from(values[l] ?? [], (value, index) => ({ layer: l, index, value }));
  if ('k' in sel) return values.flatMap((_a, l) => layerNeurons(l).sort(rank).slice(0, sel.k));
  const all = values.flatMap((_a, l) => layerNeurons(l));
  return all.sort(rank).slice(0, topPercentCount(all.length, sel.percent));
}

export function averageValues(parts: readonly LayerValues[]): LayerValues {
  const [first] = parts;
  if (!first) throw new CelensError('nothing to average');
  return first.map((a, l) => a.map((_v, i) => parts.reduce((s, p) => s + (p[l]?.[i] as number), 0) / parts.length));
}

export function subtractValues(a: LayerValues, b: LayerValues): LayerValues {
  return a.map((row, l) => row.map((v, i) => v - (b[l]?.[i] as number)));
}

/** Neurons in every set, in the first set's order; `value` is the mean of the sets' values. */
export function intersectSets(sets: readonly NeuronSet[], name: string): NeuronSet {
  const [first, ...rest] = sets;
  if (!first) throw new CelensError('nothing to intersect');
  const maps = sets.map((s) => new Map(s.neurons.map((n) => [`${n.layer}.${n.index}`, n.value])));
  const neurons: Neuron[] = [];
  for (const n of first.neurons) {
    const key = `${n.layer}.${n.index}`;
    if (!maps.every((m) => m.has(key))) continue;
    const values = Object.fromEntries(sets.map((s, j) => [s.name, maps[j]?.get(key) as number]));
    neurons.push({ layer: n.layer, index: n.index, value: Object.values(values).reduce((a, b) => a + b, 0) / sets.length, values });
  }
  return { name, rule: first.rule, kind: 'intersect', datasets: [...new Set([first, ...rest].flatMap((s) => s.datasets))], neurons };
}

/**
 * The set as mask JSON: `{"layer.{l}.ffn": [sorted indices]}`, layers with no neuron left out (as
 * masksToJson writes). Only FFN sites (`ffn.pre`, `ffn.post`) index the neurons a mask zeroes.
 */
export function neuronSetToMask(set: NeuronSet, site: string): Record<MaskTarget, number[]> {
  if (site !== 'ffn.pre' && site !== 'ffn.post') throw new CelensError(`mask JSON holds FFN neurons; site ${site} has no mask target (use ffn.pre or ffn.post)`);
  const byLayer = new Map<number, number[]>();
  for (const n of set.neurons) byLayer.set(n.layer, [...(byLayer.get(n.layer) ?? []), n.index]);
  const out: Record<string, number[]> = {};
  for (const l of [...byLayer.keys()].sort((a, b) => a - b)) out[`layer.${l}.ffn`] = (byLayer.get(l) as number[]).sort((a, b) => a - b);
  return out as Record<MaskTarget, number[]>;
}
