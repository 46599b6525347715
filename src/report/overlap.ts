/**
 * How neuron sets (masks from `celens neurons`) overlap. Per layer, grouped bars: each set's
 * count and, for 2–3 sets, the size of every intersection (A ∩ B, …, A ∩ B ∩ C); with one set
 * or more than three, the bars are the per-layer histogram of each set alone. The Jaccard matrix
 * compares any number of sets over all layers, a neuron being the pair (layer, index).
 */
import { basename } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { NeuronSetInput } from './inputs.js';
import { CATEGORY_COLORS, REPORT_CONFIG, VEGA_LITE_SCHEMA } from './theme.js';

export interface OverlapBar {
  layer: number;
  /** A set's name, or names joined by ` ∩ `. */
  group: string;
  count: number;
}

/** Pairwise intersections in the palette's muted colours (after the sets' three); all sets' in dark grey. */
const PAIR_COLORS = ['#72b7b2', '#b279a2', '#9d755d'];
const ALL_SETS_COLOR = '#3f3f3f';

/** Every subset of 0…n−1 with at least two members, by size then index order. */
function intersections(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const members = Array.from({ length: n }, (_v, i) => i).filter((i) => mask & (1 << i));
    if (members.length >= 2) out.push(members);
  }
  return out.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

/**
 * Names must tell the sets apart in a legend: sets sharing a name (`celens neurons` names a set by
 * dataset and rule, not by --from) get their file name added, then `(2)`, `(3)` if still equal.
 */
export function distinctNames(sets: readonly NeuronSetInput[]): string[] {
  const count = (names: string[], n: string): number => names.filter((x) => x === n).length;
  const first = sets.map((s) => s.name);
  const withFile = sets.map((s, i) => (count(first, s.name) > 1 ? `${s.name} (${basename(s.file).replace(/\.json$/, '')})` : (first[i] as string)));
  const seen = new Map<string, number>();
  return withFile.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n} (${k})`;
  });
}

/** Short keys for intersections and matrix columns: A, B, …, Z, then S27, S28, …. */
export function setKeys(n: number): string[] {
  return Array.from({ length: n }, (_v, i) => (i < 26 ? String.fromCharCode(65 + i) : `S${i + 1}`));
}

/** Legend label of each set: `A · name` (the name alone for a single set). */
function keyedNames(sets: readonly NeuronSetInput[]): string[] {
  const names = distinctNames(sets);
  const keys = setKeys(sets.length);
  return sets.length === 1 ? names : names.map((n, i) => `${keys[i] as string} · ${n}`);
}

export interface OverlapData {
  bars: OverlapBar[];
  /** Bar groups in legend order: the sets, then intersections (2–3 sets only). */
  groups: string[];
  layers: number;
}

export function overlapData(sets: readonly NeuronSetInput[]): OverlapData {
  const names = keyedNames(sets);
  const keys = setKeys(sets.length);
  const layers = Math.max(0, ...sets.map((s) => s.layers.length));
  const combos = sets.length >= 2 && sets.length <= 3 ? intersections(sets.length) : [];
  const groups = [...names, ...combos.map((c) => c.map((i) => keys[i]).join(' ∩ '))];
  const bars: OverlapBar[] = [];
  for (let l = 0; l < layers; l++) {
    const members = sets.map((s) => new Set(s.layers[l] ?? []));
    members.forEach((m, i) => bars.push({ layer: l, group: names[i] as string, count: m.size }));
    combos.forEach((c, k) => {
      const [first, ...rest] = c.map((i) => members[i] as Set<number>);
      const count = [...(first as Set<number>)].filter((x) => rest.every((m) => m.has(x))).length;
      bars.push({ layer: l, group: groups[names.length + k] as string, count });
    });
  }
  return { bars, groups, layers };
}

export function overlapSpec(sets: readonly NeuronSetInput[]): TopLevelSpec {
  const d = overlapData(sets);
  const range = d.groups.map((_g, i) => {
    if (i < sets.length) return CATEGORY_COLORS[i % CATEGORY_COLORS.length] as string;
    return i === d.groups.length - 1 ? ALL_SETS_COLOR : (PAIR_COLORS[i - sets.length] as string);
  });
  const step = Math.max(3, Math.min(16, Math.floor(760 / Math.max(1, d.layers * d.groups.length))));
  const total = sets.map((s) => s.layers.reduce((a, l) => a + l.length, 0));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: {
      text: d.groups.length > sets.length ? 'Neuron sets per layer, with their intersections' : 'Selected neurons per layer',
      subtitle: keyedNames(sets).map((n, i) => `${n}: ${total[i]} neurons`),
    },
    config: REPORT_CONFIG,
    data: { values: d.bars.map((b) => ({ ...b })) },
    mark: { type: 'bar' },
    width: Math.max(240, d.layers * (step * d.groups.length + 8)),
    height: 260,
    encoding: {
      x: { field: 'layer', type: 'ordinal', title: 'Layer', scale: { domain: Array.from({ length: d.layers }, (_v, l) => l), paddingInner: 0.2 }, axis: { labelAngle: 0 } },
      xOffset: { field: 'group', type: 'nominal', sort: d.groups },
      y: { field: 'count', type: 'quantitative', title: 'Neurons' },
      color: { field: 'group', type: 'nominal', title: null, scale: { domain: d.groups, range }, legend: { orient: 'bottom', columns: Math.min(3, sets.length), labelLimit: 360 } },
    },
  };
}

export interface JaccardCell {
  row: string;
  column: string;
  /** Axis labels: `A · name` down the side, the key `A` across the top. */
  rowLabel: string;
  columnKey: string;
  jaccard: number;
  intersection: number;
  union: number;
}

/** |A ∩ B| / |A ∪ B| over all layers, for every ordered pair (1 on the diagonal; 0 for two empty sets). */
export function jaccardData(sets: readonly NeuronSetInput[]): JaccardCell[] {
  const names = distinctNames(sets);
  const labels = keyedNames(sets);
  const short = setKeys(sets.length);
  const members = sets.map((s) => new Set(s.layers.flatMap((idx, l) => idx.map((i) => `${l}:${i}`))));
  const out: JaccardCell[] = [];
  members.forEach((a, r) =>
    members.forEach((b, c) => {
      let inter = 0;
      for (const k of a) if (b.has(k)) inter++;
      const union = a.size + b.size - inter;
      out.push({ row: names[r] as string, column: names[c] as string, rowLabel: labels[r] as string, columnKey: short[c] as string, jaccard: union === 0 ? (r === c ? 1 : 0) : inter / union, intersection: inter, union });
    }),
  );
  return out;
}

export function jaccardSpec(sets: readonly NeuronSetInput[]): TopLevelSpec {
  const side = Math.max(36, Math.min(72, Math.floor(480 / Math.max(1, sets.length))));
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: 'Jaccard similarity of the neuron sets', subtitle: 'neurons in both sets / neurons in either set, over the (layer, neuron) pairs of all layers' },
    config: REPORT_CONFIG,
    data: { values: jaccardData(sets).map((c) => ({ ...c, label: `${c.jaccard.toFixed(2)}\n${c.intersection}/${c.union}` })) },
    width: { step: side },
    height: { step: side },
    encoding: {
      x: { field: 'columnKey', type: 'nominal', sort: setKeys(sets.length), title: null, axis: { orient: 'top', labelAngle: 0, labelFontWeight: 'bold' } },
      y: { field: 'rowLabel', type: 'nominal', sort: keyedNames(sets), title: null, axis: { labelLimit: 360 } },
    },
    layer: [
      { mark: { type: 'rect' }, encoding: { color: { field: 'jaccard', type: 'quantitative', title: 'Jaccard', scale: { scheme: 'blues', domain: [0, 1] } } } },
      {
        mark: { type: 'text', fontSize: 11, lineBreak: '\n' },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'datum.jaccard > 0.55', value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}
