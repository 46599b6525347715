/**
 * `celens report`: reads the inputs, builds one Vega-Lite spec per figure, renders each to SVG
 * and writes `<name>.svg`, `<name>.vl.json` and an `index.html` that puts them together:
 *   heatmap-<site>[-<segment>]   attribution JSONL (all files averaged per dataset)
 *   pruning[-<sweep>]-<metric>   one per sweep file and metric
 *   overlap, jaccard             neuron sets (jaccard from two sets on)
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { aggregateFiles, siteKinds } from '../analysis/aggregate.js';
import type { Normalize, PairGroup, SegmentChoice } from '../analysis/aggregate.js';
import { openAttribution } from '../analysis/read-records.js';
import { CelensError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import { heatmapCaption, heatmapSpec } from './heatmap.js';
import { reportHtml } from './html.js';
import { readNeuronSetInput, readSweepInput } from './inputs.js';
import type { SweepCell, SweepInput } from './inputs.js';
import { jaccardSpec, overlapSpec } from './overlap.js';
import { pruningCaption, pruningSpec, sweepMetrics } from './pruning.js';
import type { Band } from './pruning.js';
import { renderPng, renderSvg, specJson } from './render.js';
import { REPORT_DEFAULTS } from './defaults.js';

export interface ReportOptions {
  /** Attribution journals (`celens attribute --out X.jsonl`). */
  attributions?: readonly string[];
  /** Pruning sweeps (`celens prune … --out S.jsonl`). */
  sweeps?: readonly string[];
  /** Neuron sets (mask JSON). */
  sets?: readonly string[];
  /** Metrics to plot. @default every metric of each sweep */
  metrics?: readonly string[];
  /** Site kinds (`ffn.pre`). @default every kind the attribution records hold */
  sites?: readonly string[];
  /** @default 'all' */
  segment?: SegmentChoice;
  /** @default 'none' */
  normalize?: Normalize;
  /** Heatmap panels for relevant and non-relevant pairs instead of all pairs. @default false */
  split?: boolean;
  /** @default 'minmax' */
  band?: Band;
  /** Most heatmap cells per layer. @default 256 */
  columns?: number;
  /** @default 'celens report' */
  title?: string;
  /** Also write `<name>.png` beside each SVG (renderPng, 2× scale). @default true */
  png?: boolean;
  /** Warnings (inputs that give no figure, vega-lite's own). */
  warn?: (message: string) => void;
}

export { REPORT_DEFAULTS };

export interface ReportFigure {
  name: string;
  title: string;
  caption: string;
  /** The input files drawn. */
  sources: string[];
  spec: TopLevelSpec;
}

const METHOD_LABEL: Record<string, string> = { nig: 'NIG', 'layer-ig': 'layer IG', 'grad-x-act': 'gradient × activation' };

/** Every figure's spec, in page order (pure of rendering: reads the inputs only). */
export async function reportFigures(o: ReportOptions): Promise<ReportFigure[]> {
  const { attributions = [], sweeps = [], sets = [] } = o;
  if (attributions.length + sweeps.length + sets.length === 0) throw new UsageError('nothing to draw: give --attributions, --sweep and/or --sets');
  // A file is read once per site: its notes (a torn last line left out) are given once.
  const said = new Set<string>();
  const warn = (m: string): void => {
    if (!said.has(m)) o.warn?.(m);
    said.add(m);
  };
  const oo = { ...o, warn };
  return [...(await attributionFigures(attributions, oo)), ...(await sweepFigures(sweeps, oo)), ...(await setFigures(sets))];
}

async function attributionFigures(files: readonly string[], o: ReportOptions): Promise<ReportFigure[]> {
  const first = files[0];
  if (first === undefined) return [];
  const { header, records } = await openAttribution(first, { ...(o.warn && { warn: o.warn }) });
  const rec = await records.next();
  await records.return(undefined);
  if (rec.done) throw new CelensError('no attribution records, only a header', { file: first });
  const sites = o.sites ?? siteKinds(rec.value.record);
  const method = METHOD_LABEL[header.method] ?? header.method;
  const segment = o.segment ?? REPORT_DEFAULTS.segment;
  const figures: ReportFigure[] = [];
  for (const site of sites) {
    const agg = await aggregateFiles(files, { site, segment, normalize: o.normalize ?? REPORT_DEFAULTS.normalize, ...(o.warn && { warn: o.warn }) });
    let groups: PairGroup[] = ['all'];
    if (o.split ?? REPORT_DEFAULTS.split) {
      const known = agg.datasets.some((d) => d.groups.relevant.pairs + d.groups.nonrelevant.pairs > 0);
      if (known) groups = ['relevant', 'nonrelevant'];
      else o.warn?.(`${files.join(', ')}: no record says whether its pair is relevant (no "source"); the heatmap shows all pairs`);
    }
    const opts = { groups, method, columns: o.columns ?? REPORT_DEFAULTS.columns };
    figures.push({
      name: `heatmap-${site}${segment === 'all' ? '' : `-${segment}`}`,
      title: `Mean ${method} per neuron, layer.*.${site}${segment === 'all' ? '' : ` (${segment})`}`,
      caption: heatmapCaption(agg, opts),
      sources: [...files],
      spec: heatmapSpec(agg, opts),
    });
  }
  return figures;
}

/**
 * Sweeps of one model on one collection are parts of one experiment (e.g. strategies run side by
 * side as separate jobs): they are drawn as one figure per metric. Their baselines must agree —
 * the same unpruned model on the same candidates — and a cell present in two files must not be.
 */
async function sweepFigures(files: readonly string[], o: ReportOptions): Promise<ReportFigure[]> {
  const groups = new Map<string, SweepInput[]>();
  for (const file of files) {
    const sweep = await readSweepInput(file, o.warn);
    const key = JSON.stringify([sweep.model, sweep.collection]);
    groups.set(key, [...(groups.get(key) ?? []), sweep]);
  }
  const figures: ReportFigure[] = [];
  for (const parts of groups.values()) {
    const sweep = mergeSweeps(parts);
    const label = parts.map((p) => basename(p.file)).join(', ');
    const where = parts.map((p) => p.file).join(', ');
    const available = sweepMetrics(sweep);
    const metrics = o.metrics ?? available;
    const missing = metrics.find((m) => !available.includes(m));
    if (missing !== undefined) throw new UsageError(`${where}: no metric ${missing} in this sweep (it has ${available.join(', ') || 'none'})`);
    if (sweep.cells.length === 0) o.warn?.(`${where}: no pruning cells yet; the figure shows the baselines only`);
    const stem = groups.size > 1 ? `-${parts.length > 1 ? sweep.collection : basename(sweep.file).replace(/\.jsonl$/, '')}` : '';
    for (const metric of metrics) {
      const opts = { metric, band: o.band ?? REPORT_DEFAULTS.band };
      figures.push({
        name: `pruning${stem}-${metric}`,
        title: `Pruning curves: ${metric}${stem ? ` (${label})` : ''}`,
        caption: pruningCaption(sweep, opts),
        sources: parts.map((p) => p.file),
        spec: pruningSpec(sweep, opts),
      });
    }
  }
  return figures;
}

/** One sweep from several files of the same model and collection (see sweepFigures). */
export function mergeSweeps(parts: readonly SweepInput[]): SweepInput {
  const [first, ...rest] = parts as [SweepInput, ...SweepInput[]];
  const merged: SweepInput = { ...first, cells: [...first.cells], baselines: [...first.baselines] };
  const cellKey = (c: SweepCell): string => JSON.stringify([c.strategy, c.unit, c.ablation, c.budget, c.seed ?? null]);
  const seen = new Map(first.cells.map((c) => [cellKey(c), first.file]));
  for (const p of rest) {
    for (const b of p.baselines) {
      const mine = merged.baselines.find((x) => x.strategy === b.strategy);
      if (!mine) merged.baselines.push(b);
      else if (JSON.stringify(mine.metrics) !== JSON.stringify(b.metrics)) {
        throw new CelensError(`its ${b.strategy} row differs from ${basename(first.file)}'s: these sweeps were not run on the same candidates and settings`, { file: p.file, line: b.line });
      }
    }
    for (const c of p.cells) {
      const k = cellKey(c);
      const other = seen.get(k);
      if (other !== undefined) throw new CelensError(`cell ${c.strategy}@${c.budget}${c.seed !== undefined ? `#${c.seed}` : ''} is also in ${basename(other)}`, { file: p.file, line: c.line });
      seen.set(k, p.file);
      merged.cells.push(c);
    }
  }
  return merged;
}

async function setFigures(files: readonly string[]): Promise<ReportFigure[]> {
  if (files.length === 0) return [];
  const sets = await Promise.all(files.map((f) => readNeuronSetInput(f)));
  const figures: ReportFigure[] = [
    {
      name: 'overlap',
      title: sets.length >= 2 && sets.length <= 3 ? 'Neuron sets per layer and their overlap' : 'Selected neurons per layer',
      caption:
        'Selected FFN neurons per layer, one bar per set' +
        (sets.length >= 2 && sets.length <= 3 ? ', then one per intersection (neurons in every set named).' : ' (intersections are drawn for two or three sets).'),
      sources: [...files],
      spec: overlapSpec(sets),
    },
  ];
  if (sets.length >= 2) {
    figures.push({
      name: 'jaccard',
      title: 'Jaccard similarity of the neuron sets',
      caption: 'Each cell: |A ∩ B| / |A ∪ B| of two sets over all layers (a neuron is a layer and an index), with the intersection and union sizes below.',
      sources: [...files],
      spec: jaccardSpec(sets),
    });
  }
  return figures;
}

export interface WrittenReport {
  /** Every file written, index.html last. */
  files: string[];
  figures: ReportFigure[];
}

/** Renders every figure and writes the SVGs, the specs and index.html into `out`. */
export async function writeReport(out: string, o: ReportOptions): Promise<WrittenReport> {
  const figures = await reportFigures(o);
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  const rendered = [];
  for (const f of figures) {
    const svg = await renderSvg(f.spec, o.warn ? { warn: (m) => o.warn?.(`${f.name}: ${m}`) } : {});
    const outputs: Array<[string, string | Buffer]> = [[`${f.name}.svg`, svg], [`${f.name}.vl.json`, `${specJson(f.spec)}\n`]];
    if (o.png ?? REPORT_DEFAULTS.png) outputs.push([`${f.name}.png`, await renderPng(svg)]);
    for (const [name, data] of outputs) {
      await writeFileAtomic(join(out, name), data);
      files.push(join(out, name));
    }
    rendered.push({ ...f, svg });
  }
  const inputs = [...(o.attributions ?? []), ...(o.sweeps ?? []), ...(o.sets ?? [])];
  const index = join(out, 'index.html');
  await writeFileAtomic(index, reportHtml({ title: o.title ?? REPORT_DEFAULTS.title, figures: rendered, inputs }));
  files.push(index);
  return { files, figures };
}
