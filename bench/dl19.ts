/**
 * Forward throughput on real reranking input: (query, passage) pairs from TREC DL 2019's BM25
 * top-100 (rank_llm's retrieve_results_dl19.json), tokenized with the MiniLM tokenizer files
 * (longest_first truncation to 512), sorted by length and batched with padding to each batch's
 * longest pair — what `scoreEncoded` does when reranking.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '../src/backend/tf.js';
import { bertForward } from '../src/model/bert.js';
import type { BertModel } from '../src/model/bert.js';
import { disposeInputs, toInputs } from '../src/model/inputs.js';
import { loadTokenizer, padBatch } from '../src/tokenize/tokenizer.js';
import type { PairEncoding } from '../src/tokenize/tokenizer.js';
import { allFinite, cpuShareSince, median } from './stats.js';

export type Pair = readonly [string, string];

/** The first `n` pairs in file order (query by query, hits in BM25 rank order). */
export async function loadDl19Pairs(file: string, n: number): Promise<{ pairs: Pair[]; queries: number }> {
  const raw: unknown = JSON.parse(await readFile(file, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${file}: expected a JSON list of {query, hits}`);
  const pairs: Pair[] = [];
  let queries = 0;
  for (const entry of raw as unknown[]) {
    if (pairs.length >= n) break;
    const e = entry as { query?: unknown; hits?: unknown };
    if (typeof e.query !== 'string' || !Array.isArray(e.hits)) throw new Error(`${file}: entry ${queries} lacks query/hits`);
    queries++;
    for (const h of e.hits as unknown[]) {
      if (pairs.length >= n) break;
      const content = (h as { content?: unknown }).content;
      if (typeof content !== 'string') throw new Error(`${file}: a hit of query ${queries - 1} has no content`);
      pairs.push([e.query, content]);
    }
  }
  if (pairs.length < n) throw new Error(`${file}: only ${pairs.length} pairs, ${n} asked for`);
  return { pairs, queries };
}

export interface Encoded {
  encs: PairEncoding[];
  padId: number;
  tokenizeMs: number;
  tokenizer: string;
}

export async function encodeDl19(tokenizerDir: string, pairs: readonly Pair[], maxLength: number): Promise<Encoded> {
  const tok = await loadTokenizer(tokenizerDir);
  const t0 = performance.now();
  const encs = await tok.encodePairs(pairs, { maxLength });
  return { encs, padId: tok.padId, tokenizeMs: performance.now() - t0, tokenizer: tok.source };
}

export interface Dl19Result {
  pairs: number;
  batches: number;
  batchSize: number;
  meanLen: number;
  maxLen: number;
  /** Batches split to respect maxTokens (0 when none was). */
  splitBatches: number;
  maxTokens: number;
  /** Positions computed including padding / real tokens − 1. */
  paddingOverhead: number;
  /** Wall time of the timed pass over every batch (after one warm-up batch). */
  totalMs: number;
  pairsPerSec: number;
  batchMs: { median: number; min: number; max: number };
  /** Process CPU time / wall time over the timed pass (see Timing.cpuShare). */
  cpuShare: number;
}

export interface Dl19BenchOptions {
  /** @default 32 */
  batch?: number;
  /** Untimed batches run first (the shortest ones). @default 1 */
  warmup?: number;
  /**
   * Largest padded batch (pairs × longest length) run at once; a bigger batch is split into
   * halves until it fits, and the result counts the splits. 0 = no limit. A safety knob: the
   * wasm heap cannot pass 4 GiB, and a forward that held every layer's intermediates until its
   * end (as bertForward did before its per-layer tidy) aborted wasm at 32 pairs × 227 tokens.
   * @default 0
   */
  maxTokens?: number;
}

export async function benchDl19(model: BertModel, enc: Pick<Encoded, 'encs' | 'padId'>, o: Dl19BenchOptions = {}): Promise<Dl19Result> {
  const B = o.batch ?? 32;
  const lens = enc.encs.map((e) => e.inputIds.length);
  const order = lens.map((l, i) => [l, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  const maxTokens = o.maxTokens ?? 0;
  const batches: PairEncoding[][] = [];
  let splitBatches = 0;
  const push = (b: PairEncoding[]): void => {
    const longest = Math.max(...b.map((e) => e.inputIds.length));
    if (maxTokens > 0 && b.length > 1 && b.length * longest > maxTokens) {
      const half = Math.ceil(b.length / 2);
      push(b.slice(0, half));
      push(b.slice(half));
    } else batches.push(b);
  };
  for (let s = 0; s < order.length; s += B) {
    const before = batches.length;
    push(order.slice(s, s + B).map((i) => enc.encs[i] as PairEncoding));
    if (batches.length - before > 1) splitBatches++;
  }
  const runBatch = async (encs: PairEncoding[]): Promise<number> => {
    const inputs = toInputs(padBatch(encs, enc.padId), model.config);
    try {
      const logits = tf.tidy(() => bertForward(model, inputs));
      const data = await logits.data();
      logits.dispose();
      if (!allFinite(data)) throw new Error('forward produced a non-finite logit');
      return inputs.inputIds.size;
    } finally {
      disposeInputs(inputs);
    }
  };
  for (let i = 0; i < (o.warmup ?? 1) && i < batches.length; i++) await runBatch(batches[i] as PairEncoding[]);
  const batchMs: number[] = [];
  let padded = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) {
    const t = performance.now();
    padded += await runBatch(b);
    batchMs.push(performance.now() - t);
  }
  const totalMs = performance.now() - t0;
  const cpuShare = cpuShareSince(cpu0, t0);
  const real = lens.reduce((a, b) => a + b, 0);
  return {
    pairs: lens.length,
    batches: batches.length,
    batchSize: B,
    splitBatches,
    maxTokens,
    meanLen: real / lens.length,
    maxLen: Math.max(...lens),
    paddingOverhead: padded / real - 1,
    totalMs,
    pairsPerSec: lens.length / (totalMs / 1000),
    batchMs: { median: median(batchMs), min: Math.min(...batchMs), max: Math.max(...batchMs) },
    cpuShare,
  };
}
