/**
 * Where a neuron set lives: selected neurons per layer, as counts and as a text bar chart (the
 * paper's per-layer distribution figures, readable in a terminal).
 */
import type { NeuronSet } from './neuron-sets.js';

/** counts[l] = selected neurons in layer l, for layers 0…layers−1. */
export function layerHistogram(set: NeuronSet, layers: number): number[] {
  const counts = new Array<number>(layers).fill(0);
  for (const n of set.neurons) counts[n.layer] = (counts[n.layer] ?? 0) + 1;
  return counts;
}

/** One line per layer: `layer  3 │████████▌           17`, bars scaled to the largest count. */
export function formatHistogram(counts: readonly number[], width = 30): string {
  const max = Math.max(1, ...counts);
  const pad = String(counts.length - 1).length;
  return counts
    .map((c, l) => {
      const eighths = Math.round((c / max) * width * 8);
      const bar = '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? (' ▏▎▍▌▋▊▉'[eighths % 8] as string) : '');
      return `layer ${String(l).padStart(pad)} │${bar.padEnd(width + 1)}${c}`;
    })
    .join('\n');
}
