/**
 * One `attribute(model, pairs, options)` shape for every method (Captum's attribute()): pairs are
 * sorted by length and grouped `pairsPerBatch` at a time (little padding), each group is one
 * padded batch for the method, and results stream out in a fixed order with their input index.
 * Grouping depends only on the lengths and options, never on what was already done or on the
 * number of workers, so a resumed or parallel run computes exactly the same numbers.
 */
import { SiteError, UsageError } from '../errors.js';
import type { BertModel } from '../model/bert.js';
import type { TokenBatch } from '../tokenize/encode.js';
import type { Masks } from '../model/masks.js';
import { padBatch } from '../tokenize/tokenizer.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import type { BaselineKind } from './baselines.js';
import { layerIgBatch, LAYER_IG_DEFAULTS } from './layer-ig.js';
import { nigBatch, NIG_DEFAULTS } from './nig.js';
import type { NigRule } from './nig.js';
import { layersByKind, resolveAttributionSites } from './site-specs.js';
import type { AttributionSiteSpec } from './site-specs.js';
import type { LayerIgRule } from './quadrature.js';
import type { PairAttribution } from './summary.js';
import type { TargetSpec } from './targets.js';
import { planGroups, shardGroups } from './plan.js';
import type { Shard } from './plan.js';

export type Method = 'nig' | 'layer-ig';
export const METHODS: readonly Method[] = ['nig', 'layer-ig'];

/** Options of attribute, attributeStream and runAttributeJob: method, sites, baseline, target, path steps and rule. */
export interface AttributeOptions {
  /** @default 'nig' */
  method?: Method;
  /**
   * Sites: a kind for every layer (`ffn.pre`, `ffn.post`, `out`, `attn.out`), or site names and
   * globs (`layer.3.ffn.pre`, `layer.*.ffn.post`). NIG reads them all in one pass per path chunk;
   * layer IG runs its suffix passes for the chosen layers only. @default ['ffn.pre'] for NIG, ['ffn.post'] for layer IG
   */
  sites?: readonly AttributionSiteSpec[];
  /** NIG only. @default 'padq' */
  baseline?: BaselineKind;
  target?: TargetSpec;
  /** Path points. @default 50 for NIG, 20 for layer IG (pathDefaults) */
  steps?: number;
  /**
   * NIG only: path points instead of k/(m−1), strictly ascending from exactly 0 to exactly 1
   * (e.g. denser where F moves fast); each interval is credited by `rule`. A grid that misses an
   * end, or is not ascending, is refused (RangeError).
   */
  alphas?: readonly number[];
  /**
   * NIG: right (the authors') | left | trapezoid (default); layer IG: left | trapezoid |
   * gauss-legendre (default). With 50 trapezoid points NIG's completeness error on the embedded
   * model is under 1% of |F(x) − F(x′)|; 20 right-rule points (the former default) leave up to 30%.
   */
  rule?: NigRule | LayerIgRule;
  /** α points per pass. @default 10 */
  chunk?: number;
  /** Pairs per padded batch. @default 4 */
  pairsPerBatch?: number;
  perToken?: boolean;
  unkId?: number;
  /** Layer IG only: keeps only these layers of the chosen sites. @default all */
  layers?: readonly number[];
  masks?: Masks;
  /** Compute only the groups k of the plan with k % count === index (Slurm/Kubernetes array jobs). */
  shard?: Shard;
  /** NIG only: called (and awaited) after each pass of a group with its path points done; throwing stops the run (NigOptions). */
  onPathProgress?: (done: number, total: number) => void | Promise<void>;
}

/**
 * One pair per group: groups are the unit a worker takes, so small groups balance the cores (20
 * pairs in groups of 4 leave one of 2 workers idle for a fifth of the job); NIG still fills each
 * pass with several α points of that pair (maxTokensPerPass). `steps` and `rule` are those of the
 * default method, NIG; layer IG's are LAYER_IG_DEFAULTS' (pathDefaults gives either).
 */
export const ATTRIBUTE_DEFAULTS = { method: 'nig', steps: NIG_DEFAULTS.steps, rule: NIG_DEFAULTS.rule, chunk: 10, pairsPerBatch: 1, perToken: false } as const;

/** The path a method integrates on when `steps` or `rule` is not given. */
export function pathDefaults(method: Method): { steps: number; rule: NigRule | LayerIgRule } {
  return method === 'nig' ? { steps: NIG_DEFAULTS.steps, rule: NIG_DEFAULTS.rule } : { steps: LAYER_IG_DEFAULTS.steps, rule: LAYER_IG_DEFAULTS.rule };
}

export interface AttributionRecord {
  index: number;
  result: PairAttribution;
}

/** Runs one group (a padded batch of pairs) with the chosen method. */
export async function attributeGroup(model: BertModel, batch: TokenBatch, o: AttributeOptions): Promise<PairAttribution[]> {
  const common = {
    ...(o.target !== undefined && { target: o.target }),
    ...(o.steps !== undefined && { steps: o.steps }),
    ...(o.chunk !== undefined && { chunk: o.chunk }),
    ...(o.perToken !== undefined && { perToken: o.perToken }),
    ...(o.masks !== undefined && { masks: o.masks }),
  };
  if ((o.method ?? ATTRIBUTE_DEFAULTS.method) === 'nig') {
    return nigBatch(model, batch, {
      ...common,
      ...(o.alphas !== undefined && { alphas: o.alphas }),
      sites: o.sites ?? NIG_DEFAULTS.sites,
      ...(o.baseline !== undefined && { baseline: o.baseline }),
      ...(o.rule !== undefined && { rule: o.rule as NigRule }),
      ...(o.unkId !== undefined && { unkId: o.unkId }),
      ...(o.onPathProgress !== undefined && { onPathProgress: o.onPathProgress }),
    });
  }
  if (o.alphas !== undefined) throw new UsageError('alphas is a NIG option; layer IG integrates on its rule\'s points (steps, rule)');
  // Layer IG's cost is per layer (a suffix pass per α chunk), so it runs the chosen layers only, one kind at a time.
  const byKind = layersByKind(resolveAttributionSites(o.sites ?? [LAYER_IG_DEFAULTS.site], model.config));
  const L = model.config.numLayers;
  const outside = o.layers?.find((l) => !Number.isInteger(l) || l < 0 || l >= L);
  if (outside !== undefined) throw new SiteError(`layer ${outside} does not exist (the model has layers 0…${L - 1})`);
  const results: PairAttribution[][] = [];
  for (const [site, chosen] of byKind) {
    const layers = o.layers ? chosen.filter((l) => o.layers?.includes(l)) : chosen;
    if (layers.length === 0) continue;
    results.push(await layerIgBatch(model, batch, { ...common, site, layers, ...(o.rule !== undefined && { rule: o.rule as LayerIgRule }) }));
  }
  if (results.length === 0) throw new UsageError(`layer IG: none of the chosen sites is in --layers ${o.layers?.join(' ') ?? ''}`);
  return mergeSites(results);
}

/** Several single-site results of the same pairs → one result per pair with every site. */
function mergeSites(parts: PairAttribution[][]): PairAttribution[] {
  const [first, ...rest] = parts;
  if (!first) return [];
  for (const part of rest) {
    part.forEach((p, i) => {
      const into = first[i] as PairAttribution;
      for (const [k, v] of p.sum) into.sum.set(k, v);
      for (const [k, v] of p.bySegment) into.bySegment.set(k, v);
      if (p.perToken && into.perToken) for (const [k, v] of p.perToken) into.perToken.set(k, v);
    });
  }
  return first;
}

export interface StreamOptions {
  /** Input indices already done (resume): groups made only of these are skipped. */
  skip?: ReadonlySet<number>;
  onProgress?: (done: number, total: number) => void;
}

/** Streams records group by group, in plan order; indices in `skip` are not yielded again. */
export async function* attributeStream(model: BertModel, pairs: readonly PairEncoding[], o: AttributeOptions = {}, s: StreamOptions = {}): AsyncGenerator<AttributionRecord> {
  const groups = shardGroups(planGroups(pairs.map((p) => p.inputIds.length), o.pairsPerBatch ?? ATTRIBUTE_DEFAULTS.pairsPerBatch), o.shard);
  const total = groups.reduce((n, g) => n + g.length, 0);
  const skip = s.skip ?? new Set<number>();
  let done = groups.reduce((n, g) => n + g.filter((i) => skip.has(i)).length, 0);
  s.onProgress?.(done, total);
  for (const g of groups) {
    if (g.every((i) => skip.has(i))) continue;
    const batch = padBatch(g.map((i) => pairs[i] as PairEncoding), model.config.padTokenId);
    const res = await attributeGroup(model, batch, o);
    for (let k = 0; k < g.length; k++) {
      const index = g[k] as number;
      if (skip.has(index)) continue;
      done++;
      yield { index, result: res[k] as PairAttribution };
    }
    s.onProgress?.(done, total);
  }
}

/** Attributions for every pair, in input order. */
export async function attribute(model: BertModel, pairs: readonly PairEncoding[], o: AttributeOptions = {}): Promise<PairAttribution[]> {
  const out = new Array<PairAttribution>(pairs.length);
  for await (const r of attributeStream(model, pairs, o)) out[r.index] = r.result;
  return out;
}

/** Splits a padded batch (e.g. from an --inputs file) into unpadded pair encodings. */
export function unpad(b: TokenBatch): PairEncoding[] {
  return Array.from({ length: b.batch }, (_v, r) => {
    let n = 0;
    while (n < b.seqLen && b.attentionMask[r * b.seqLen + n] === 1) n++;
    const from = r * b.seqLen;
    return { inputIds: Array.from(b.inputIds.subarray(from, from + n)), tokenTypeIds: Array.from(b.tokenTypeIds.subarray(from, from + n)) };
  });
}
