/** Hand-built attribution journals for the analysis tests: small values worked out by hand. */
import { writeFile } from 'node:fs/promises';
import type { JournalHeader, PairRecord, PairSource } from '../../src/jobs/records.js';

export interface PairSpec {
  /** sum per layer for the site (`ffn.pre` unless `site` is given). */
  layers: number[][];
  /** [layer][5 segments][W]; default: all in the passage row. */
  segments?: number[][][];
  /** `qid` defaults to `q{index}` (every pair its own query). */
  source?: Pick<PairSource, 'dataset' | 'relevant'> & { qid?: string };
  target?: { input: number; baseline: number };
  /** More sites: kind → per-layer sums. */
  extra?: Record<string, number[][]>;
}

export function header(count: number, options: Record<string, unknown> = {}): JournalHeader {
  return { celens: 'attribute', version: 1, method: 'nig', model: 'hand', count, options: { method: 'nig', pairsPerBatch: 4, ...options } };
}

export function record(index: number, p: PairSpec, site = 'ffn.pre'): PairRecord {
  const sum: Record<string, number[]> = {};
  const segs: Record<string, number[][]> = {};
  const put = (kind: string, layers: number[][], segments?: number[][][]): void => {
    layers.forEach((v, l) => {
      sum[`layer.${l}.${kind}`] = v;
      segs[`layer.${l}.${kind}`] = segments?.[l] ?? [0, 1, 2, 3, 4].map((s) => (s === 3 ? v : v.map(() => 0)));
    });
  };
  put(site, p.layers, p.segments);
  for (const [kind, layers] of Object.entries(p.extra ?? {})) put(kind, layers);
  return {
    index,
    ...(p.source && { source: { dataset: p.source.dataset, qid: p.source.qid ?? `q${index}`, docid: `d${index}`, grade: p.source.relevant ? 1 : 0, relevant: p.source.relevant } }),
    length: 6,
    segments: { length: 6, cls: 0, query: [1, 2], sep1: 2, passage: [3, 5], sep2: 5 },
    target: p.target ?? { input: 1, baseline: 0 },
    completeness: p.layers.map(() => null),
    sum,
    segments_sum: segs,
  };
}

/** Writes a journal as JournalWriter does: JSON.stringify per line, header first. */
export async function writeRecords(file: string, pairs: readonly PairSpec[], site?: string): Promise<string> {
  const lines = [header(pairs.length), ...pairs.map((p, i) => record(i, p, site))].map((o) => `${JSON.stringify(o)}\n`);
  await writeFile(file, lines.join(''));
  return file;
}
