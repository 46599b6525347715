/**
 * Layers × neurons heatmap of the mean attribution (analysis/aggregate.ts), one panel per dataset
 * and pair group, on a diverging scale centred on 0 (red: the neuron raises the relevance score,
 * blue: it lowers it). Wide layers are pooled into at most `columns` cells of `k` neighbouring
 * neurons each, keeping the value of largest magnitude so a single strong neuron stays visible.
 * The colour scale is symmetric and clipped at a high quantile of |value|: a few extreme neurons
 * would otherwise leave everything else white.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Aggregation, PairGroup } from '../analysis/aggregate.js';
import { absQuantile, fmt, REPORT_CONFIG, VEGA_LITE_SCHEMA } from './theme.js';

export interface HeatmapOptions {
  /** Pair groups, one panel each (per dataset). @default ['all'] */
  groups?: readonly PairGroup[];
  /** Most cells per layer row; wider layers are pooled. @default 256 */
  columns?: number;
  /** The colour scale ends at ± this quantile of |value| (larger values are clipped). @default 0.99 */
  clip?: number;
  /** Attribution method, for the legend (e.g. `NIG`). @default 'attribution' */
  method?: string;
  /** Plot width in pixels. @default 720 */
  width?: number;
}

export const HEATMAP_DEFAULTS = { groups: ['all'] as readonly PairGroup[], columns: 256, clip: 0.99, method: 'attribution', width: 720 };

const GROUP_LABEL: Record<PairGroup, string> = { all: 'all pairs', relevant: 'relevant pairs', nonrelevant: 'non-relevant pairs' };

/** One heatmap cell: neurons [neuron, neuronEnd) of a layer, in a panel. */
export interface HeatmapCell {
  panel: string;
  layer: number;
  neuron: number;
  neuronEnd: number;
  value: number;
}

export interface HeatmapData {
  cells: HeatmapCell[];
  /** Panel titles, in order (`<dataset> · <group> (n pairs)`). */
  panels: string[];
  /** Neurons per cell (1: no pooling). */
  pool: number;
  /** The colour scale's half-range. */
  limit: number;
  layers: number;
}

/** The cells the heatmap draws (pure: tests read these numbers). */
export function heatmapData(agg: Aggregation, opts: HeatmapOptions = {}): HeatmapData {
  const o = { ...HEATMAP_DEFAULTS, ...opts };
  const maxWidth = Math.max(0, ...agg.widths);
  const pool = Math.max(1, Math.ceil(maxWidth / o.columns));
  const cells: HeatmapCell[] = [];
  const panels: string[] = [];
  const several = agg.datasets.length > 1;
  for (const d of agg.datasets) {
    for (const g of o.groups) {
      const { pairs, mean } = d.groups[g];
      if (pairs === 0) continue;
      const panel = `${several ? `${d.dataset} · ` : ''}${GROUP_LABEL[g]} (n = ${pairs})`;
      panels.push(panel);
      mean.forEach((row, layer) => {
        for (let start = 0; start < row.length; start += pool) {
          const end = Math.min(row.length, start + pool);
          let value = 0;
          for (let i = start; i < end; i++) if (Math.abs(row[i] as number) > Math.abs(value)) value = row[i] as number;
          cells.push({ panel, layer, neuron: start, neuronEnd: end, value });
        }
      });
    }
  }
  const limit = absQuantile(cells.map((c) => c.value), o.clip) || 1;
  return { cells, panels, pool, limit, layers: agg.widths.length };
}

const SEGMENT_LABEL: Record<string, string> = { all: 'whole pair', cls: '[CLS] token', query: 'query tokens', sep1: 'first [SEP]', passage: 'passage tokens', sep2: 'last [SEP]' };

/** Vega-Lite spec of the heatmap for one site kind of an aggregation. */
export function heatmapSpec(agg: Aggregation, opts: HeatmapOptions = {}): TopLevelSpec {
  const o = { ...HEATMAP_DEFAULTS, ...opts };
  const data = heatmapData(agg, o);
  const maxWidth = Math.max(0, ...agg.widths);
  const rowHeight = Math.max(8, Math.min(18, Math.floor(240 / Math.max(1, data.layers))));
  const pooled = data.pool > 1 ? `; each cell: the largest-magnitude value of ${data.pool} neighbouring neurons` : '';
  const normalized = agg.normalize === 'none' ? '' : `, normalized per pair (${agg.normalize})`;
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: `Mean ${o.method} per neuron: layer.*.${agg.site}`,
      subtitle: `${SEGMENT_LABEL[agg.segment] ?? agg.segment}${normalized}; colour clipped at ±${fmt(data.limit)} (${fmt(o.clip * 100)}th percentile of |value|)${pooled}`,
    },
    config: REPORT_CONFIG,
    data: { values: data.cells.map((c) => ({ ...c })) },
    facet: {
      row: {
        field: 'panel',
        type: 'nominal',
        sort: data.panels,
        title: null,
        header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold', labelPadding: 4 },
      },
    },
    spacing: 10,
    resolve: { scale: { color: 'shared' } },
    spec: {
      width: o.width,
      height: rowHeight * data.layers,
      mark: { type: 'rect', strokeWidth: 0, aria: false },
      encoding: {
        x: {
          field: 'neuron',
          type: 'quantitative',
          title: 'Neuron index',
          scale: { domain: [0, maxWidth], nice: false, zero: true },
          axis: { tickCount: 8, format: 'd', grid: false },
        },
        x2: { field: 'neuronEnd' },
        y: {
          field: 'layer',
          type: 'ordinal',
          title: 'Layer',
          scale: { domain: Array.from({ length: data.layers }, (_v, l) => data.layers - 1 - l), paddingInner: 0.08 },
          axis: { labelOverlap: true },
        },
        color: {
          field: 'value',
          type: 'quantitative',
          title: `mean ${o.method}`,
          scale: { scheme: 'redblue', reverse: true, domain: [-data.limit, data.limit], clamp: true },
          legend: { orient: 'right', gradientLength: Math.max(120, rowHeight * data.layers), format: '.2~g' },
        },
      },
    },
  };
}

/** The figure's caption. */
export function heatmapCaption(agg: Aggregation, opts: HeatmapOptions = {}): string {
  const data = heatmapData(agg, opts);
  const datasets = agg.datasets.map((d) => `${d.dataset} (${d.groups.all.pairs} pairs)`).join(', ');
  return (
    `Mean attribution of each FFN neuron at layer.*.${agg.site} over ${datasets}, per layer (rows) and neuron index (columns). ` +
    `Red neurons push the relevance score up, blue ones down; white is 0.` +
    (data.pool > 1 ? ` Columns pool ${data.pool} neighbouring neurons, keeping the value of largest magnitude.` : '')
  );
}
