/** What every figure shares: the schema, the font (text-width.ts measures it), quiet axes. */
import type { Config } from 'vega-lite';
import { REPORT_FONT } from './text-width.js';

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export const REPORT_CONFIG: Config = {
  font: REPORT_FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  title: { fontSize: 14, anchor: 'start', subtitleFontSize: 11, subtitleColor: '#555' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 320 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** Tableau 10, the default categorical palette, named so series keep their colour across figures. */
export const CATEGORY_COLORS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d', '#ff9da6', '#bab0ac'];

/** The q-quantile (0…1) of |values|, by sorting: the report's values are at most a few 10⁵. */
export function absQuantile(values: Iterable<number>, q: number): number {
  const a = Float64Array.from(values, Math.abs).sort();
  if (a.length === 0) return 0;
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1))] as number;
}

/** Rounds to 3 significant digits for labels and captions. */
export function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
