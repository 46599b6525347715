/**
 * Mean attribution per neuron over pairs, per dataset and per relevance group, for one site kind
 * (`ffn.pre`: the paper's NIG site) and one segment (or the whole pair). As Vast et al. (ICTIR
 * 2024) do, a neuron's score over a set of pairs is the mean of its per-pair attribution; the
 * relevant and non-relevant pairs are averaged apart because relevance neurons are read from the
 * relevant ones. Files stream record by record: nothing holds a collection in memory.
 */
import { basename } from 'node:path';
import { SEGMENT_NAMES } from '../attribution/baselines.js';
import type { SegmentName } from '../attribution/baselines.js';
import type { PairRecord } from '../jobs/records.js';
import { CelensError } from '../errors.js';
import { openAttribution } from './read-records.js';
import { matchSiteName } from '../model/sites.js';
import { MAX_LAYERS } from '../weights/config.js';

export type PairGroup = 'all' | 'relevant' | 'nonrelevant';
export const PAIR_GROUPS: readonly PairGroup[] = ['all', 'relevant', 'nonrelevant'];

/** `all`: the record's `sum` (every token); otherwise one row of `segments_sum`. */
export type SegmentChoice = 'all' | SegmentName;
export const SEGMENT_CHOICES: readonly SegmentChoice[] = ['all', ...SEGMENT_NAMES];

/** Per-pair scaling before averaging: none (the paper), Σ|attr|, or the target change F(x) − F(x′). */
export type Normalize = 'none' | 'l1' | 'target';
export const NORMALIZE: readonly Normalize[] = ['none', 'l1', 'target'];

/** values[l][i]: neuron i of layer l. A layer the files hold no values for has width 0. */
export type LayerValues = Float64Array[];

export interface GroupMean {
  pairs: number;
  /** All zeros when `pairs` is 0. */
  mean: LayerValues;
}

export interface DatasetAggregate {
  /** `source.dataset`, or the file name without `.jsonl` for records without a source. */
  dataset: string;
  files: string[];
  /** `all` counts every pair; pairs without `source` (relevance unknown) are in `all` only. */
  groups: Record<PairGroup, GroupMean>;
}

/** What aggregateFiles averages: site, segment, normalization. */
export interface AggregateOptions {
  /** Site kind, e.g. `ffn.pre`. @default the one kind the records hold (an error if several) */
  site?: string;
  /** @default 'all' */
  segment?: SegmentChoice;
  /** @default 'none' */
  normalize?: Normalize;
  /** Gets a note for each file whose torn last line (a job still running, or killed) was left out. */
  warn?: (message: string) => void;
}

export const AGGREGATE_DEFAULTS = { segment: 'all', normalize: 'none' } as const;

/** Mean attribution per neuron of each layer, per dataset and pair group (relevant, non-relevant, all). */
export interface Aggregation {
  site: string;
  segment: SegmentChoice;
  normalize: Normalize;
  /** Neurons per layer. */
  widths: number[];
  /** In order of first appearance. */
  datasets: DatasetAggregate[];
  /** Pairs whose normalizer was 0 (they add zeros). */
  zeroNormalized: number;
}

/** A record key's layer and site kind (`layer.3.ffn.pre` → 3, `ffn.pre`), by the one site-name parser; undefined for other keys. */
function layerSiteKey(k: string): { layer: number; kind: string } | undefined {
  const p = matchSiteName(k);
  return p && 'layer' in p && p.kind !== 'layer' && p.layer < MAX_LAYERS ? { layer: p.layer, kind: p.kind } : undefined;
}

/** Site kinds in a record's `sum` (`layer.3.ffn.pre` → `ffn.pre`). */
export function siteKinds(r: PairRecord): string[] {
  return [...new Set(Object.keys(r.sum).flatMap((k) => layerSiteKey(k)?.kind ?? []))];
}

/** The dataset a record counts under: `source.dataset`, else the file name without `.jsonl`. */
export function datasetOf(r: PairRecord, file: string): string {
  return r.source?.dataset ?? basename(file).replace(/\.jsonl$/, '');
}

/** Layer widths of one site kind in a record. */
function siteWidths(r: PairRecord, site: string): number[] {
  const widths: number[] = [];
  for (const [k, v] of Object.entries(r.sum)) {
    const m = layerSiteKey(k);
    if (m?.kind === site) widths[m.layer] = v.length;
  }
  return Array.from(widths, (w) => w ?? 0);
}

/** One pair's attribution as LayerValues, scaled as asked; `zero`: the normalizer was 0 (values zeroed). */
export function pairValues(r: PairRecord, site: string, segment: SegmentChoice, normalize: Normalize, widths: readonly number[]): { values: LayerValues; zero: boolean } {
  const row = segment === 'all' ? -1 : SEGMENT_NAMES.indexOf(segment);
  const values = widths.map((w, l) => {
    if (w === 0) return new Float64Array(0);
    const key = `layer.${l}.${site}`;
    const v = row < 0 ? r.sum[key] : r.segments_sum[key]?.[row];
    if (v?.length !== w) throw new CelensError(`${key}: expected ${w} values, found ${v?.length ?? 'none'}${row >= 0 ? ` in segment ${segment}` : ''}`);
    return Float64Array.from(v);
  });
  let scale = 1;
  if (normalize === 'l1') scale = values.reduce((s, a) => a.reduce((t, x) => t + Math.abs(x), s), 0);
  if (normalize === 'target') scale = r.target.input - r.target.baseline;
  if (scale === 0) return { values: values.map((a) => a.fill(0)), zero: true };
  if (scale !== 1) for (const a of values) for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) / scale;
  return { values, zero: false };
}

/** Reads every file once and averages per dataset and group (float64 sums, file order). */
export async function aggregateFiles(files: readonly string[], o: AggregateOptions = {}): Promise<Aggregation> {
  if (files.length === 0) throw new CelensError('no attribution files given');
  const segment = o.segment ?? AGGREGATE_DEFAULTS.segment;
  const normalize = o.normalize ?? AGGREGATE_DEFAULTS.normalize;
  let site = o.site;
  let widths: number[] | undefined;
  const acc = new Map<string, { files: Set<string>; sums: Record<PairGroup, { pairs: number; sum: LayerValues }> }>();
  let zeroNormalized = 0;
  for (const file of files) {
    const { records } = await openAttribution(file, { ...(o.warn && { warn: o.warn }) });
    for await (const { record, line } of records) {
      if (widths === undefined) {
        site = chooseSite(record, site, file);
        widths = siteWidths(record, site);
      }
      let pv: { values: LayerValues; zero: boolean };
      try {
        pv = pairValues(record, site as string, segment, normalize, widths);
      } catch (e) {
        await records.return(undefined);
        if (!(e instanceof CelensError)) throw e;
        throw new CelensError(`${e.message} (every record must hold the same site and layers)`, { file, line });
      }
      if (pv.zero) zeroNormalized++;
      const name = datasetOf(record, file);
      let d = acc.get(name);
      if (!d) {
        const w = widths;
        const zeros = (): { pairs: number; sum: LayerValues } => ({ pairs: 0, sum: w.map((n) => new Float64Array(n)) });
        d = { files: new Set(), sums: { all: zeros(), relevant: zeros(), nonrelevant: zeros() } };
        acc.set(name, d);
      }
      d.files.add(file);
      const groups: PairGroup[] = ['all'];
      if (record.source) groups.push(record.source.relevant ? 'relevant' : 'nonrelevant');
      for (const g of groups) {
        const s = d.sums[g];
        s.pairs++;
        pv.values.forEach((a, l) => {
          const into = s.sum[l] as Float64Array;
          for (let i = 0; i < a.length; i++) into[i] = (into[i] as number) + (a[i] as number);
        });
      }
    }
  }
  if (widths === undefined || site === undefined) throw new CelensError(`no attribution records in ${files.join(', ')}`);
  const datasets = [...acc].map(([dataset, d]): DatasetAggregate => {
    const mean = (g: PairGroup): GroupMean => {
      const { pairs, sum } = d.sums[g];
      return { pairs, mean: sum.map((a) => (pairs === 0 ? a : a.map((x) => x / pairs))) };
    };
    return { dataset, files: [...d.files], groups: { all: mean('all'), relevant: mean('relevant'), nonrelevant: mean('nonrelevant') } };
  });
  return { site, segment, normalize, widths, datasets, zeroNormalized };
}

function chooseSite(r: PairRecord, wanted: string | undefined, file: string): string {
  const kinds = siteKinds(r);
  if (wanted !== undefined) {
    if (!kinds.includes(wanted)) throw new CelensError(`no site ${wanted} in these records (they hold ${kinds.join(', ') || 'no layer sites'})`, { file });
    return wanted;
  }
  if (kinds.length === 1) return kinds[0] as string;
  throw new CelensError(kinds.length === 0 ? 'records hold no layer sites' : `records hold several sites (${kinds.join(', ')}): choose one (--site)`, { file });
}
