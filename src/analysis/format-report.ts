/**
 * The readable form of a NeuronReport (`celens neurons` without --json): pair counts, the signed
 * distribution of the ranked values per layer, selected neurons per layer, each set's top neurons
 * with their values (and p-values, selection frequencies), the overlaps between sets, the
 * contrast tests and the bootstrap stability.
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
  const ranked = r.from === 'contrast' ? 'mean over relevant − mean over non-relevant pairs' : `mean over ${r.from} pairs`;
  out.push(`site layer.{l}.${a.site}, segment ${a.segment}, normalize ${a.normalize}; attribution sets rank the ${ranked}`);
  out.push(
    formatTable([
      ['dataset', 'pairs', 'relevant', 'nonrelevant'],
      ...a.datasets.map((d) => [d.dataset, String(d.groups.all.pairs), String(d.groups.relevant.pairs), String(d.groups.nonrelevant.pairs)]),
    ]),
  );
  if (a.zeroNormalized > 0) out.push(`(${a.zeroNormalized} pairs had a zero normalizer and count as zeros)`);
  for (const d of r.distributions) {
    out.push(
      `${d.name}: ${ranked}, per layer (all neurons; >0 / <0 count them, Σ>0 / Σ<0 add their values)\n${formatTable([
        ['layer', 'neurons', 'min', 'q05', 'q25', 'median', 'q75', 'q95', 'max', '>0', '<0', 'Σ>0', 'Σ<0'],
        ...d.layers.map((x) => [String(x.layer), String(x.neurons), ...[x.min, x.q05, x.q25, x.median, x.q75, x.q95, x.max].map(num), String(x.positive), String(x.negative), num(x.sumPositive), num(x.sumNegative)]),
      ])}`,
    );
  }
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
    const hasP = s.neurons.some((n) => n.p !== undefined);
    const hasF = s.neurons.some((n) => n.frequency !== undefined);
    const rows = shown.map((n, k) => [
      String(k + 1), `layer.${n.layer}`, String(n.index), num(n.value),
      ...(hasP ? [n.p === undefined ? '' : num(n.p), n.pAdjusted === undefined ? '' : num(n.pAdjusted)] : []),
      ...(hasF ? [n.frequency === undefined ? '' : n.frequency.toFixed(3)] : []),
    ]);
    const head = ['rank', 'layer', 'neuron', 'value', ...(hasP ? ['p', 'p adj'] : []), ...(hasF ? ['freq'] : [])];
    const more = s.neurons.length > shown.length ? `\n… ${s.neurons.length - shown.length} more` : '';
    out.push(`${s.name}: ${s.neurons.length} neuron${s.neurons.length === 1 ? '' : 's'}\n${formatTable([head, ...rows])}${more}`);
  }
  if (r.overlaps.length > 0) {
    out.push(
      `overlap\n${formatTable([
        ['set A', 'set B', '|A|', '|B|', '|A∩B|', 'Jaccard'],
        ...r.overlaps.map((x) => [x.a, x.b, String(x.sizeA), String(x.sizeB), String(x.intersection), x.jaccard.toFixed(3)]),
      ])}`,
    );
  }
  const st = r.statistics;
  const t0 = st?.tests[0];
  if (st && t0) {
    const adj = t0.correction === 'holm' ? 'Holm-adjusted' : t0.correction === 'bh' ? 'Benjamini–Hochberg-adjusted' : 'unadjusted';
    out.push(
      `contrast test (mean over relevant − mean over non-relevant pairs; labels permuted over pairs, ${t0.permutations} permutations, seed ${t0.seed}; smallest possible p ${num(t0.minAttainableP)})\n` +
        `neurons with ${adj} p <= ${t0.alpha}, per layer\n${formatTable([
          ['test', 'relevant', 'nonrelevant', ...a.widths.map((_w, l) => `L${l}`), 'total'],
          ...st.tests.map((t) => [t.name, String(t.pairs.relevant), String(t.pairs.nonrelevant), ...t.significantPerLayer.map(String), String(t.significant.length)]),
        ])}`,
    );
  }
  if (st && st.stability.length > 0) {
    out.push(
      `bootstrap over queries (${st.stability[0]?.replicates} replicates, seed ${st.seed}): Jaccard of each replicate's set with the full-data set\n${formatTable([
        ['set', 'replicates', 'failed', 'mean J', 'sd', 'q05', 'median', 'q95', 'mean size'],
        ...st.stability.map((b) => [b.set, String(b.replicates), String(b.failed), ...[b.jaccard.mean, b.jaccard.sd, b.jaccard.q05, b.jaccard.median, b.jaccard.q95].map((x) => x.toFixed(3)), b.meanSize.toFixed(1)]),
      ])}`,
    );
    for (const b of st.stability) {
      const others = b.frequencies.filter((f) => !f.inSet).slice(0, top);
      if (others.length > 0) out.push(`${b.set}: most often picked outside the set\n${formatTable([['layer', 'neuron', 'freq'], ...others.map((f) => [`layer.${f.layer}`, String(f.index), f.frequency.toFixed(3)])])}`);
    }
  }
  return `${out.join('\n\n')}\n`;
}
