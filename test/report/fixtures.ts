/** Small hand-made report inputs: attribution journals, pruning sweeps, neuron sets. */
import { writeFile } from 'node:fs/promises';

/** One pair: per layer the `sum` values of site `layer.{l}.<site>`; segments put it all on the passage. */
export interface PairSpec {
  layers: number[][];
  relevant?: boolean;
  dataset?: string;
  site?: string;
}

export function attributionLines(pairs: readonly PairSpec[]): string[] {
  const header = { celens: 'attribute', version: 1, method: 'nig', model: 'tiny', count: pairs.length, options: { steps: 2 } };
  const records = pairs.map((p, index) => {
    const site = p.site ?? 'ffn.pre';
    const sum: Record<string, number[]> = {};
    const segs: Record<string, number[][]> = {};
    p.layers.forEach((v, l) => {
      sum[`layer.${l}.${site}`] = v;
      const zero = v.map(() => 0);
      segs[`layer.${l}.${site}`] = [zero, zero, zero, v, zero];
    });
    return {
      index,
      ...(p.relevant !== undefined && { source: { dataset: p.dataset ?? 'toy', qid: 'q1', docid: `d${index}`, grade: p.relevant ? 1 : 0, relevant: p.relevant } }),
      length: 6,
      segments: { length: 6, cls: 0, query: [1, 2], sep1: 2, passage: [3, 5], sep2: 5 },
      target: { input: 1, baseline: 0 },
      completeness: p.layers.map(() => null),
      sum,
      segments_sum: segs,
    };
  });
  return [header, ...records].map((o) => JSON.stringify(o));
}

export async function writeAttributions(file: string, pairs: readonly PairSpec[]): Promise<string> {
  await writeFile(file, `${attributionLines(pairs).join('\n')}\n`);
  return file;
}

export interface CellSpec {
  strategy: string;
  budget: number | null;
  seed?: number;
  metrics: Record<string, number>;
  ablation?: string | null;
}

/** A sweep in pruning/journal.ts's format. */
export function sweepLines(cells: readonly CellSpec[]): string[] {
  const header = { celens: 'prune', version: 1, model: 'tiny', collection: 'toy-collection', queries: 2, pairs: 20, options: {} };
  const rows = cells.map((c) => ({
    cell: `${c.strategy}@${c.budget ?? '-'}${c.seed !== undefined ? `#${c.seed}` : ''}`,
    strategy: c.strategy,
    unit: 'neurons',
    ablation: c.ablation === undefined ? (c.budget === null ? null : 'zero') : c.ablation,
    budget: c.budget,
    n: c.budget === null ? 0 : Math.round(c.budget * 1000),
    ...(c.seed !== undefined && { seed: c.seed }),
    counts_per_layer: [0, 0],
    metrics: c.metrics,
    mean_abs_delta: c.budget === null ? null : 0.1,
    ties_top10: 0,
  }));
  return [header, ...rows].map((o) => JSON.stringify(o));
}

/** Baselines, `top` at two budgets, `random` over three seeds at the same budgets. */
export const SWEEP_CELLS: CellSpec[] = [
  { strategy: 'first-stage', budget: null, metrics: { 'nDCG@10': 0.5, 'RR@10': 0.6 } },
  { strategy: 'random-ranking', budget: null, metrics: { 'nDCG@10': 0.2, 'RR@10': 0.25 } },
  { strategy: 'unpruned', budget: null, metrics: { 'nDCG@10': 0.7, 'RR@10': 0.8 } },
  { strategy: 'top', budget: 0.01, metrics: { 'nDCG@10': 0.6, 'RR@10': 0.7 } },
  { strategy: 'top', budget: 0.1, metrics: { 'nDCG@10': 0.3, 'RR@10': 0.4 } },
  ...[1, 2, 3].flatMap((seed) => [
    { strategy: 'random', budget: 0.01, seed, metrics: { 'nDCG@10': 0.68 + seed * 0.01, 'RR@10': 0.78 } },
    { strategy: 'random', budget: 0.1, seed, metrics: { 'nDCG@10': 0.6 + seed * 0.02, 'RR@10': 0.7 } },
  ]),
];

export async function writeSweep(file: string, cells: readonly CellSpec[] = SWEEP_CELLS): Promise<string> {
  await writeFile(file, `${sweepLines(cells).join('\n')}\n`);
  return file;
}

export async function writeSet(file: string, mask: Record<string, number[]>, meta?: Record<string, unknown>): Promise<string> {
  await writeFile(file, `${JSON.stringify(mask, null, 1)}\n`);
  if (meta) await writeFile(file.replace(/\.json$/, '.meta.json'), JSON.stringify(meta));
  return file;
}
