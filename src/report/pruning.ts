/**
 * Pruning curves: a metric against the share of units pruned (log x), one line per strategy;
 * random pruning as a band over its seeds (min–max, or mean ± sd) around its mean line; the
 * unpruned model, the first-stage run and a random ranking of the candidates as labelled rules.
 */
import type { TopLevelSpec } from 'vega-lite';
import { BASELINE_STRATEGIES } from './inputs.js';
import type { SweepCell, SweepInput } from './inputs.js';
import { CATEGORY_COLORS, fmt, REPORT_CONFIG, VEGA_LITE_SCHEMA } from './theme.js';

import type { Band } from './defaults.js';

export { BANDS } from './defaults.js';
export type { Band } from './defaults.js';

export interface PruningOptions {
  /** @default 'nDCG@10' */
  metric?: string;
  /** What the random band spans over seeds. @default 'minmax' */
  band?: Band;
  /** @default 560 */
  width?: number;
  /** @default 320 */
  height?: number;
}

export const PRUNING_DEFAULTS = { metric: 'nDCG@10', band: 'minmax' as Band, width: 560, height: 320 };

/** Strategy order in legends: pruning/select.ts's order, then anything else. */
const ORDER = ['top', 'nonrel', 'bottom', 'magnitude', 'random'];
const RANDOM_GREY = '#8c8c8c';

export interface CurvePoint {
  series: string;
  budget: number;
  value: number;
  /** Seeds averaged into the point (1 for a deterministic strategy). */
  seeds: number;
}

export interface BandPoint {
  series: string;
  budget: number;
  lo: number;
  hi: number;
}

export interface Reference {
  reference: string;
  value: number;
  label: string;
}

export interface PruningData {
  lines: CurvePoint[];
  bands: BandPoint[];
  references: Reference[];
  /** Line names in legend order. */
  series: string[];
  /** The names among them that are random pruning. */
  randomSeries: string[];
  unit: string;
}

/** Metrics any cell or baseline of a sweep reports, first-seen order. */
export function sweepMetrics(s: SweepInput): string[] {
  return [...new Set([...s.cells, ...s.baselines].flatMap((r) => Object.keys(r.metrics)))];
}

/** The numbers the figure draws (pure). Cells lacking the metric are left out. */
export function pruningData(s: SweepInput, opts: PruningOptions = {}): PruningData {
  const o = { ...PRUNING_DEFAULTS, ...opts };
  const cells = s.cells.filter((c) => o.metric in c.metrics);
  const distinct = (f: (c: SweepCell) => string | null): boolean => new Set(cells.map(f)).size > 1;
  const byAblation = distinct((c) => c.ablation);
  const byUnit = distinct((c) => c.unit);
  const name = (c: SweepCell): string => {
    const extra = [byUnit ? c.unit : '', byAblation ? `${c.ablation ?? 'zero'} ablation` : ''].filter((x) => x !== '');
    return extra.length > 0 ? `${c.strategy} (${extra.join(', ')})` : c.strategy;
  };
  const groups = new Map<string, Map<number, number[]>>();
  const strategyOf = new Map<string, string>();
  for (const c of cells) {
    const key = name(c);
    strategyOf.set(key, c.strategy);
    const byBudget = groups.get(key) ?? new Map<number, number[]>();
    groups.set(key, byBudget);
    byBudget.set(c.budget, [...(byBudget.get(c.budget) ?? []), c.metrics[o.metric] as number]);
  }
  const rank = (k: string): number => {
    const i = ORDER.indexOf(strategyOf.get(k) ?? '');
    return i < 0 ? ORDER.length - 1 : i;
  };
  const keys = [...groups.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const lines: CurvePoint[] = [];
  const bands: BandPoint[] = [];
  const series: string[] = [];
  const randomSeries: string[] = [];
  for (const key of keys) {
    const byBudget = groups.get(key) as Map<number, number[]>;
    const seeds = Math.max(...[...byBudget.values()].map((v) => v.length));
    const label = seeds > 1 ? `${key}: mean of ${seeds} seeds, ${o.band === 'sd' ? '± sd' : 'min–max'}` : key;
    series.push(label);
    if (strategyOf.get(key) === 'random') randomSeries.push(label);
    for (const [budget, values] of [...byBudget].sort((a, b) => a[0] - b[0])) {
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      lines.push({ series: label, budget, value: mean, seeds: values.length });
      if (seeds > 1) bands.push({ series: label, budget, ...spread(values, mean, o.band) });
    }
  }
  const references = s.baselines
    .filter((b) => o.metric in b.metrics)
    .sort((a, b) => BASELINE_STRATEGIES.indexOf(a.strategy) - BASELINE_STRATEGIES.indexOf(b.strategy))
    .map((b) => {
      const value = b.metrics[o.metric] as number;
      return { reference: b.strategy, value, label: `${b.strategy.replace('-', ' ')} ${fmt(value)}` };
    });
  return { lines, bands, references, series, randomSeries, unit: cells[0]?.unit ?? 'neurons' };
}

function spread(values: number[], mean: number, band: Band): { lo: number; hi: number } {
  if (band === 'minmax') return { lo: Math.min(...values), hi: Math.max(...values) };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  return { lo: mean - sd, hi: mean + sd };
}

export function pruningSpec(s: SweepInput, opts: PruningOptions = {}): TopLevelSpec {
  const o = { ...PRUNING_DEFAULTS, ...opts };
  const d = pruningData(s, o);
  const budgets = d.lines.map((p) => p.budget);
  const positive = budgets.filter((b) => b > 0);
  // Log x; a budget of 0 needs symlog, linear below the smallest positive budget.
  // The domain is the budgets themselves (a "nice" log domain can add a decade of empty plot).
  // No cells yet (a sweep that has only run its baselines): an empty 0…100% axis.
  const fit = { nice: false, padding: 14, domain: budgets.length > 0 ? [Math.min(...budgets), Math.max(...budgets)] : [0, 1] };
  const xScale = budgets.length === 0 ? { type: 'linear' as const, ...fit } : budgets.some((b) => b === 0) ? { type: 'symlog' as const, constant: Math.min(...positive, 1), ...fit } : { type: 'log' as const, ...fit };
  // Random pruning is the control: grey, the strategies take the palette in order.
  let next = 0;
  const range = d.series.map((k) => (d.randomSeries.includes(k) ? RANDOM_GREY : (CATEGORY_COLORS[next++ % CATEGORY_COLORS.length] as string)));
  const legend = { orient: 'bottom' as const, columns: 3, symbolType: 'stroke', symbolStrokeWidth: 2.5, symbolOpacity: 1, columnPadding: 16 };
  const color = { field: 'series', type: 'nominal' as const, title: 'Strategy', scale: { domain: d.series, range }, legend };
  const x = { field: 'budget', type: 'quantitative' as const, title: `Share of ${d.unit} pruned (log scale)`, scale: xScale, axis: { format: '.2~%', grid: true, values: [...new Set(budgets)], labelOverlap: true } };
  const yValues = [...d.lines.map((p) => p.value), ...d.bands.flatMap((b) => [b.lo, b.hi]), ...d.references.map((r) => r.value)];
  const [lo, hi] = [Math.min(...yValues), Math.max(...yValues)];
  const pad = hi > lo ? 0.04 * (hi - lo) : 0.01;
  const y = { type: 'quantitative' as const, title: o.metric, scale: { zero: false, domain: [lo - pad, hi + pad], nice: false } };
  // Rule labels at least a line apart (13 px in data units), so near-equal baselines stay legible.
  const labelAt = spreadUp(d.references.map((r) => r.value), (13 * (hi - lo + 2 * pad)) / o.height);
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: `${o.metric} after pruning`, subtitle: [s.model, s.collection].filter((t) => t !== '').join(' on ') },
    config: REPORT_CONFIG,
    width: o.width,
    height: o.height,
    layer: [
      {
        data: { values: d.references.map((r, i) => ({ ...r, labelAt: labelAt[i] })) },
        layer: [
          { mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { ...y, field: 'value' } } },
          { mark: { type: 'text', align: 'left', baseline: 'middle', dx: 6, color: '#333', fontSize: 11, x: o.width }, encoding: { y: { ...y, field: 'labelAt' }, text: { field: 'label' } } },
        ],
      },
      {
        data: { values: d.bands.map((b) => ({ ...b })) },
        mark: { type: 'area', opacity: 0.22 },
        encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
      },
      {
        data: { values: d.lines.map((p) => ({ ...p })) },
        mark: { type: 'line', point: { size: 28 }, strokeWidth: 2 },
        encoding: { x, y: { ...y, field: 'value' }, color },
      },
    ],
  };
}

/** Positions for labels at `values`, moved up where needed so that neighbours are ≥ gap apart. */
export function spreadUp(values: readonly number[], gap: number): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  let last = -Infinity;
  for (const [v, i] of order) {
    last = Math.max(v, last + gap);
    out[i] = last;
  }
  return out;
}

export function pruningCaption(s: SweepInput, opts: PruningOptions = {}): string {
  const o = { ...PRUNING_DEFAULTS, ...opts };
  const d = pruningData(s, o);
  const rnd = d.bands.length > 0 ? ` Random pruning is a band over its seeds (${o.band === 'sd' ? 'mean ± one standard deviation' : 'minimum to maximum'}) around their mean.` : '';
  const refs = d.references.length > 0 ? ` Dashed rules: ${d.references.map((r) => r.label).join(', ')}.` : '';
  return `${o.metric} of the reranker after removing a share of its ${d.unit} (log scale), one line per strategy.${rnd}${refs}`;
}
