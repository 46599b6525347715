/**
 * The readable form of a NeuronReport (`celens neurons` without --json): pair counts, selected
 * neurons per layer, each set's top neurons with their values, and the overlaps between sets.
 */
import { formatHistogram } from './histogram.js';
import type { NeuronReport } from './neuron-report.js';

export interface FormatOptions {
  /** Neurons listed per set. @default 10 */
  top?: number;
}

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, j) => (widths[j] = Math.max(widths[j] ?? 0, c.length)));
  return rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number))).join('  ').trimEnd()).join('\n');
}

const num = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(4) : v.toExponential(3));

export function formatNeuronReport(r: NeuronReport, o: FormatOptions = {}): string {
  const a = r.aggregation;
  const top = o.top ?? 10;
  const total = a.widths.reduce((s, w) => s + w, 0);
  const out: string[] = [];
  out.push(`site layer.{l}.${a.site}, segment ${a.segment}, normalize ${a.normalize}; attribution sets rank the mean over ${r.from} pairs`);
  out.push(
    formatTable([
      ['dataset', 'pairs', 'relevant', 'nonrelevant'],
      ...a.datasets.map((d) => [d.dataset, String(d.groups.all.pairs), String(d.groups.relevant.pairs), String(d.groups.nonrelevant.pairs)]),
    ]),
  );
  if (a.zeroNormalized > 0) out.push(`(${a.zeroNormalized} pairs had a zero normalizer and count as zeros)`);
  if (r.sets.length === 0) return `${out.join('\n\n')}\n`;
  const counts = r.sets.map((s) => r.perLayer[s.name] ?? []);
  out.push(
    `selected neurons per layer (of ${total})\n${formatTable([
      ['layer', ...r.sets.map((s) => s.name)],
      ...a.widths.map((_w, l) => [String(l), ...counts.map((c) => String(c[l] ?? 0))]),
      ['total', ...r.sets.map((s) => String(s.neurons.length))],
    ])}`,
  );
  const combined = r.sets.filter((s) => s.kind === 'intersect' || s.kind === 'fused' || s.kind === 'diff');
  for (const s of combined.length > 0 ? combined : r.sets) out.push(`${s.name} per layer\n${formatHistogram(r.perLayer[s.name] ?? [])}`);
  for (const s of r.sets) {
    const shown = s.neurons.slice(0, top);
    const rows = shown.map((n, k) => [String(k + 1), `layer.${n.layer}`, String(n.index), num(n.value)]);
    const more = s.neurons.length > shown.length ? `\n… ${s.neurons.length - shown.length} more` : '';
    out.push(`${s.name}: ${s.neurons.length} neuron${s.neurons.length === 1 ? '' : 's'}\n${formatTable([['rank', 'layer', 'neuron', 'value'], ...rows])}${more}`);
  }
  if (r.overlaps.length > 0) {
    out.push(
      `overlap\n${formatTable([
        ['set A', 'set B', '|A|', '|B|', '|A∩B|', 'Jaccard'],
        ...r.overlaps.map((x) => [x.a, x.b, String(x.sizeA), String(x.sizeB), String(x.intersection), x.jaccard.toFixed(3)]),
      ])}`,
    );
  }
  return `${out.join('\n\n')}\n`;
}
