/**
 * `celens neurons` as a library call: aggregates → neuron sets (per dataset, and combined across
 * datasets) → overlaps and per-layer counts, plus the mask JSON + meta files for one set.
 *   intersect: neurons in every dataset's set — the paper's "relevance neurons", shared by all;
 *   fused:     the datasets' means averaged (each dataset weighs the same), then selected;
 *   diff:      mean of OOD minus mean of IN, then selected (what moves out of domain).
 * Attribution sets rank one group's mean (`from`: all, relevant or non-relevant pairs), or the
 * contrast: mean over relevant − mean over non-relevant pairs (`from: 'contrast'`; its per-neuron
 * permutation test is in permutation.ts). Beside the sets, the report summarizes the whole signed
 * distribution of the ranked values per layer (distribution.ts), for each dataset, fusion and
 * difference: a set shows the top of it only.
 */
import { CelensError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import type { Aggregation, LayerValues, PairGroup } from './aggregate.js';
import { layerSummaries } from './distribution.js';
import type { LayerSummary } from './distribution.js';
import { layerHistogram } from './histogram.js';
import type { Magnitudes } from './magnitudes.js';
import { averageValues, formatSelector, intersectSets, neuronSetToMask, selectNeurons, subtractValues } from './neuron-sets.js';
import type { NeuronSet, Selector } from './neuron-sets.js';
import { overlaps } from './overlap.js';
import type { Overlap } from './overlap.js';
import type { SetStatistics } from './set-statistics.js';

/** What attribution sets rank: one pair group's mean, or `contrast` = mean over relevant − mean over non-relevant pairs. */
export type RankFrom = PairGroup | 'contrast';
export const RANK_FROM: readonly RankFrom[] = ['all', 'relevant', 'nonrelevant', 'contrast'];

/** Which neuron sets buildNeuronSets makes: selectors, pair group, intersections, fusions and differences. */
export interface NeuronSetsOptions {
  /** @default [{ kind: 'top-p', percent: 1 }] */
  selectors?: readonly Selector[];
  /** Which pairs' mean the attribution selectors rank, or the relevant − non-relevant contrast. @default 'all' */
  from?: RankFrom;
  /** Needed by `magnitude:P`; without it that selector is skipped with a note. */
  magnitudes?: Magnitudes;
  intersect?: boolean;
  fuse?: boolean;
  /** `OOD:IN` dataset names. */
  diff?: readonly string[];
}

export const NEURON_SETS_DEFAULTS = { selectors: [{ kind: 'top-p', percent: 1 }] as readonly Selector[], from: 'all' } as const;

/** The signed values one kind of set ranks (a dataset's, the fusion's, a difference's), summarized per layer. */
export interface ValueDistribution {
  /** The prefix of the sets that rank these values: `dl19`, `fused`, `covid-minus-dl19`. */
  name: string;
  datasets: string[];
  layers: LayerSummary[];
}

export interface NeuronReport {
  aggregation: Aggregation;
  from: RankFrom;
  sets: NeuronSet[];
  /** Per layer, the whole signed distribution of the values the attribution sets rank. */
  distributions: ValueDistribution[];
  /** Selected neurons per layer, by set name. */
  perLayer: Record<string, number[]>;
  overlaps: Overlap[];
  /** Why a requested selector made no set. */
  skipped: string[];
  /** The activation-statistics file the `magnitude:P` sets came from. */
  magnitudes?: { file: string; meta: Record<string, unknown> };
  /** Contrast permutation tests and bootstrap stability, when asked for (set-statistics.ts). */
  statistics?: SetStatistics;
}

/** Neuron sets from aggregated attributions: per-dataset selections, and their intersection, fusion or differences. */
export function buildNeuronSets(agg: Aggregation, o: NeuronSetsOptions = {}): NeuronReport {
  const from = o.from ?? NEURON_SETS_DEFAULTS.from;
  const names = agg.datasets.map((d) => d.dataset);
  const diffs = (o.diff ?? []).map((s) => resolveDiff(s, names));
  const sets: NeuronSet[] = [];
  const skipped: string[] = [];
  const selectors = o.selectors ?? NEURON_SETS_DEFAULTS.selectors;
  const distributions: ValueDistribution[] = [];
  if (selectors.some((s) => s.kind !== 'magnitude')) {
    for (const d of names) distributions.push({ name: d, datasets: [d], layers: layerSummaries(rankedValues(agg, d, from)) });
    if (o.fuse) distributions.push({ name: 'fused', datasets: names, layers: layerSummaries(averageValues(names.map((d) => rankedValues(agg, d, from)))) });
    for (const [ood, ind] of diffs) distributions.push({ name: `${ood}-minus-${ind}`, datasets: [ood, ind], layers: layerSummaries(subtractValues(rankedValues(agg, ood, from), rankedValues(agg, ind, from))) });
  }
  for (const sel of selectors) {
    const rule = formatSelector(sel);
    if (sel.kind === 'magnitude') {
      if (o.magnitudes) sets.push({ name: rule, rule, kind: 'magnitude', datasets: [], neurons: selectNeurons(o.magnitudes.values, sel) });
      else skipped.push(`${rule} skipped: it ranks neurons by mean |activation|, which needs --magnitude FILE ({"layer.0": [numbers], …})`);
      continue;
    }
    const perDataset = names.map((d): NeuronSet => ({ name: `${d}/${rule}`, rule, kind: 'dataset', datasets: [d], neurons: selectNeurons(rankedValues(agg, d, from), sel) }));
    sets.push(...perDataset);
    if (o.intersect) sets.push(intersectSets(perDataset, `intersect/${rule}`));
    if (o.fuse) sets.push({ name: `fused/${rule}`, rule, kind: 'fused', datasets: names, neurons: selectNeurons(averageValues(names.map((d) => rankedValues(agg, d, from))), sel) });
    for (const [ood, ind] of diffs) {
      const values = subtractValues(rankedValues(agg, ood, from), rankedValues(agg, ind, from));
      sets.push({ name: `${ood}-minus-${ind}/${rule}`, rule, kind: 'diff', datasets: [ood, ind], neurons: selectNeurons(values, sel) });
    }
  }
  const perLayer = Object.fromEntries(sets.map((s) => [s.name, layerHistogram(s, agg.widths.length)]));
  return { aggregation: agg, from, sets, distributions, perLayer, overlaps: overlaps(sets), skipped, ...(o.magnitudes && { magnitudes: { file: o.magnitudes.file, meta: o.magnitudes.meta } }) };
}

/** The values a dataset's attribution sets rank: a group's mean, or the relevant − non-relevant contrast. */
export function rankedValues(agg: Aggregation, dataset: string, from: RankFrom): LayerValues {
  return from === 'contrast' ? subtractValues(groupMean(agg, dataset, 'relevant'), groupMean(agg, dataset, 'nonrelevant')) : groupMean(agg, dataset, from);
}

/** A dataset's mean for one group; a group with no pairs is an error, not a silent zero. */
function groupMean(agg: Aggregation, dataset: string, from: PairGroup): LayerValues {
  const d = agg.datasets.find((x) => x.dataset === dataset);
  if (!d) throw new CelensError(`no dataset '${dataset}' (datasets: ${agg.datasets.map((x) => x.dataset).join(', ')})`);
  const g = d.groups[from];
  if (g.pairs === 0) {
    throw new CelensError(`dataset '${dataset}' has no ${from} pairs${from === 'all' ? '' : ' (records without source.relevant count only in "all": attribute a sampled --collection, or use --from all)'}`);
  }
  return g.mean;
}

/** `OOD:IN` → [OOD, IN]; dataset names may hold ':' themselves, so split where both halves exist. */
export function resolveDiff(spec: string, names: readonly string[]): [string, string] {
  for (let i = spec.indexOf(':'); i > 0; i = spec.indexOf(':', i + 1)) {
    const a = spec.slice(0, i);
    const b = spec.slice(i + 1);
    if (names.includes(a) && names.includes(b)) return [a, b];
  }
  throw new CelensError(`--diff ${spec}: expected OOD:IN, two of the datasets ${names.join(', ')}`);
}

/** The set `--out` writes: the one combined set, or the only set when nothing was combined. */
export function primarySet(r: NeuronReport): NeuronSet {
  const combined = r.sets.filter((s) => s.kind === 'intersect' || s.kind === 'fused' || s.kind === 'diff');
  const candidates = combined.length > 0 ? combined : r.sets;
  if (candidates.length === 1) return candidates[0] as NeuronSet;
  throw new CelensError(
    candidates.length === 0
      ? 'no neuron set was made'
      : `--out writes one set; this run makes ${candidates.length} (${candidates.map((s) => s.name).join(', ')}): keep one --select and one of --intersect, --fuse, --diff (or one dataset)`,
  );
}

/** `set.json` → `set.meta.json` (any other name gets `.meta.json` appended). */
export function metaPath(out: string): string {
  return out.endsWith('.json') ? `${out.slice(0, -'.json'.length)}.meta.json` : `${out}.meta.json`;
}

/** What the meta file holds: how the set was made and the values of its neurons. */
export function neuronSetMeta(r: NeuronReport, set: NeuronSet): Record<string, unknown> {
  const a = r.aggregation;
  return {
    celens: 'neurons',
    version: 1,
    set: set.name,
    rule: set.rule,
    kind: set.kind,
    site: a.site,
    segment: a.segment,
    normalize: a.normalize,
    from: set.kind === 'magnitude' ? undefined : r.from,
    datasets: a.datasets
      .filter((d) => set.datasets.includes(d.dataset))
      .map((d) => ({ dataset: d.dataset, files: d.files, pairs: { all: d.groups.all.pairs, relevant: d.groups.relevant.pairs, nonrelevant: d.groups.nonrelevant.pairs } })),
    ...(set.kind === 'magnitude' && { magnitudes: r.magnitudes }),
    size: set.neurons.length,
    total: a.widths.reduce((s, w) => s + w, 0),
    perLayer: r.perLayer[set.name],
    ...setStatisticsMeta(r, set),
    neurons: set.neurons,
  };
}

/** Which tests gave the set's p-values, and its bootstrap stability (the others' frequencies; its own neurons carry theirs). */
function setStatisticsMeta(r: NeuronReport, set: NeuronSet): Record<string, unknown> {
  const st = r.statistics;
  if (!st) return {};
  const out: Record<string, unknown> = {};
  const names = set.kind === 'fused' ? ['fused'] : set.kind === 'dataset' || set.kind === 'intersect' ? set.datasets : [];
  const t = st.tests.filter((x) => names.includes(x.name));
  const first = t[0];
  if (first && t.length === names.length) {
    out.test = {
      statistic: 'mean over relevant − mean over non-relevant pairs (over several datasets: their mean, labels permuted within each)',
      pValue: `two-sided permutation p = (1 + #{|T*| >= |T|}) / (1 + permutations)${set.kind === 'intersect' ? ', the largest over the datasets (intersection-union test)' : ''}`,
      tests: t.map((x) => x.name),
      permutations: first.permutations,
      seed: first.seed,
      correction: first.correction,
      alpha: first.alpha,
    };
  }
  const b = st.stability.find((x) => x.set === set.name);
  if (b) {
    out.bootstrap = { unit: 'query', replicates: b.replicates, failed: b.failed, seed: st.seed, jaccard: b.jaccard, meanSize: b.meanSize, others: b.frequencies.filter((f) => !f.inSet).map(({ layer, index, frequency }) => ({ layer, index, frequency })) };
  }
  return out;
}

/** Writes OUT (mask JSON, readable by parseMasks/readMasks) and its sibling meta file. */
export async function writeNeuronSet(out: string, r: NeuronReport, set: NeuronSet): Promise<{ mask: string; meta: string }> {
  const mask = neuronSetToMask(set, r.aggregation.site);
  const meta = metaPath(out);
  await writeFileAtomic(out, `${JSON.stringify(mask)}\n`);
  await writeFileAtomic(meta, `${JSON.stringify(neuronSetMeta(r, set), null, 1)}\n`);
  return { mask: out, meta };
}
