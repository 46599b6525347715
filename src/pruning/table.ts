/**
 * The sweep as a readable table: baselines first, then one line per budget and strategy, a random
 * control's seeds folded into their mean ± standard deviation (sample, n − 1) with the seed count,
 * and the units removed per layer (`0/1/4`; `varies` when the seeds of a global draw differ).
 */
import type { CellRow } from './journal.js';

interface Line {
  name: string;
  n: string;
  values: string[];
  delta: string;
  ties: string;
  layers: string;
}

export function formatSweepTable(rows: readonly CellRow[]): string {
  const measures = Object.keys(rows[0]?.metrics ?? {});
  const lines: Line[] = [];
  const groups = new Map<string, CellRow[]>();
  for (const r of rows) {
    const key = r.seed === undefined ? r.cell : r.cell.replace(/#\d+$/, '');
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  for (const [name, g] of groups) {
    const first = g[0] as CellRow;
    const layers = first.budget === null ? '' : g.every((r) => r.counts_per_layer.join() === first.counts_per_layer.join()) ? first.counts_per_layer.join('/') : 'varies';
    if (g.length === 1 && first.seed === undefined) {
      lines.push({
        name,
        n: String(first.n),
        values: measures.map((m) => fmt(first.metrics[m])),
        delta: first.mean_abs_delta === null ? '—' : first.mean_abs_delta.toFixed(4),
        ties: String(first.ties_top10),
        layers,
      });
      continue;
    }
    const stat = (xs: number[]): string => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
      return `${mean.toFixed(4)}±${sd.toFixed(4)}`;
    };
    lines.push({
      name: `${name} (${g.length} seeds)`,
      n: String(first.n),
      values: measures.map((m) => stat(g.map((r) => r.metrics[m] ?? NaN))),
      delta: stat(g.map((r) => r.mean_abs_delta ?? NaN)),
      ties: stat(g.map((r) => r.ties_top10)).replace(/(\.\d)\d+/g, '$1'),
      layers,
    });
  }
  const head: Line = { name: 'cell', n: 'units', values: measures, delta: 'mean|Δscore|', ties: 'ties@10', layers: 'per layer' };
  return alignColumns([head, ...lines].map((l) => [l.name, l.n, ...l.values, l.delta, l.ties, l.layers]));
}

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned. */
export function alignColumns(table: readonly string[][]): string {
  const widths = (table[0] as string[]).map((_v, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  return table.map((r) => r.map((cellText, i) => (i === 0 ? cellText.padEnd(widths[i] as number) : cellText.padStart(widths[i] as number))).join('  ').trimEnd()).join('\n') + '\n';
}

function fmt(v: number | undefined): string {
  return v === undefined ? '—' : v.toFixed(4);
}
