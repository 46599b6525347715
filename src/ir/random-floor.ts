/**
 * The floor a reranker must beat: the first-stage candidates in random order. `randomFloor`
 * averages seeded shuffles of each query's top `depth` (the "mean of 5 shuffles");
 * `expectedRandomNdcg` gives the exact expectation of nDCG@k over all orders, which the
 * shuffles estimate.
 */
import type { Qrels, Run, RunEntry } from './collection.js';
import { evaluate } from './metrics/evaluate.js';
import { judgeRanking } from './metrics/judged.js';
import { trecOrder } from './trec.js';
import { mulberry32 } from '../util/random.js';

export interface RandomFloorOptions {
  /** Candidates per query that get shuffled (the first-stage top-k). @default 100 */
  depth?: number;
  /** @default 5 */
  shuffles?: number;
  /** Seed of the shuffles, so a floor printed twice is the same number. @default 1 */
  seed?: number;
  /** @default ['nDCG@10'] */
  metrics?: string[];
  relLevel?: number;
}

export const RANDOM_FLOOR_DEFAULTS = { depth: 100, shuffles: 5, seed: 1, metrics: ['nDCG@10'] };

export interface RandomFloor {
  /** measure → mean over shuffles of the mean over queries. */
  aggregate: Record<string, number>;
  perShuffle: Array<Record<string, number>>;
  depth: number;
  shuffles: number;
  seed: number;
}

export function randomFloor(qrels: Qrels, run: Run, opts: RandomFloorOptions = {}): RandomFloor {
  const { depth, shuffles, seed, metrics } = { ...RANDOM_FLOOR_DEFAULTS, ...opts };
  const rand = mulberry32(seed);
  const perShuffle: Array<Record<string, number>> = [];
  for (let s = 0; s < shuffles; s++) {
    const shuffled: Run = new Map();
    for (const [qid, entries] of run) shuffled.set(qid, shuffle(topCandidates(entries, depth), rand));
    perShuffle.push(evaluate(qrels, shuffled, { metrics, ...(opts.relLevel !== undefined && { relLevel: opts.relLevel }) }).aggregate);
  }
  const aggregate: Record<string, number> = {};
  for (const name of Object.keys(perShuffle[0] ?? {})) aggregate[name] = perShuffle.reduce((a, r) => a + (r[name] ?? 0), 0) / shuffles;
  return { aggregate, perShuffle, depth, shuffles, seed };
}

/**
 * E[nDCG@k] under a uniformly random order of each query's top `depth`: each rank holds any
 * candidate with equal chance, so E[DCG@k] = mean candidate gain × Σ_{i<k} 1/log2(i+2).
 * Averaged over the queries trec_eval would evaluate (judged and retrieved).
 */
export function expectedRandomNdcg(qrels: Qrels, run: Run, opts: { k: number; depth?: number }): number {
  const depth = opts.depth ?? RANDOM_FLOOR_DEFAULTS.depth;
  let sum = 0;
  let n = 0;
  for (const [qid, judgements] of qrels) {
    const entries = run.get(qid);
    if (!entries) continue;
    const cands = topCandidates(entries, depth);
    const j = judgeRanking(judgements, cands, 1);
    const meanGain = cands.length === 0 ? 0 : j.rels.reduce((a, g) => a + Math.max(g, 0), 0) / cands.length;
    let discounts = 0;
    for (let i = 0; i < Math.min(opts.k, cands.length); i++) discounts += 1 / Math.log2(i + 2);
    let ideal = 0;
    j.idealGains.slice(0, opts.k).forEach((g, i) => (ideal += g / Math.log2(i + 2)));
    sum += ideal > 0 ? (meanGain * discounts) / ideal : 0;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/** The first `depth` entries in trec_eval's order. */
function topCandidates(entries: readonly RunEntry[], depth: number): RunEntry[] {
  return trecOrder(entries).slice(0, depth);
}

/** Fisher–Yates; scores rewritten n..1 so trec_eval's sort keeps the shuffled order. */
function shuffle(entries: RunEntry[], rand: () => number): RunEntry[] {
  const a = [...entries];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j] as RunEntry, a[i] as RunEntry];
  }
  return a.map((e, i) => ({ docid: e.docid, score: a.length - i, rank: i + 1 }));
}

/** Floors use the project's seeded PRNG so they are reproducible without a dependency. */
export { mulberry32 };
