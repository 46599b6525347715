/**
 * BM25 first stage as Anserini runs it (`-bm25`, k1 0.9, b 0.4): Lucene's BM25Similarity over
 * the terms of `analyze` (Porter stemming, Lucene's English stop words), a bag-of-words query
 * in which a repeated query term counts once per repetition (Anserini's BagOfWordsQueryGenerator
 * boosts a term by its count). With `lucene: true` (the default) document lengths are stored in
 * Lucene's one-byte norm (SmallFloat.intToByte4) and scores are summed in float32, as Lucene does.
 */
import type { Run, RunEntry, Topics } from './collection.js';
import { analyze } from './analyze.js';
import type { AnalyzerOptions } from './analyze.js';
import { compareTrec } from './trec.js';

export interface Bm25Options extends AnalyzerOptions {
  /** @default 0.9 */
  k1?: number;
  /** @default 0.4 */
  b?: number;
  /** Imitate Lucene: lossy 1-byte doc lengths and float32 scores. @default true */
  lucene?: boolean;
}

export const BM25_DEFAULTS = { k1: 0.9, b: 0.4, lucene: true, hits: 1000 };

export interface Bm25Index {
  docids: string[];
  /** term → [doc index, term frequency] pairs, doc index ascending. */
  postings: Map<string, { docs: number[]; tfs: number[] }>;
  /** Per doc: 1 / (k1 (1 − b + b·len/avgdl)), the length part of the score. */
  normInverse: Float64Array;
  /** Docs with at least one term (Lucene's docCount for this field). */
  docCount: number;
  avgdl: number;
  options: Required<Pick<Bm25Options, 'k1' | 'b' | 'lucene'>> & AnalyzerOptions;
}

export function buildBm25Index(docs: ReadonlyMap<string, string>, opts: Bm25Options = {}): Bm25Index {
  const options = { ...BM25_DEFAULTS, ...opts };
  const f = options.lucene ? Math.fround : (x: number): number => x;
  const docids = [...docs.keys()];
  const postings = new Map<string, { docs: number[]; tfs: number[] }>();
  const lengths = new Int32Array(docids.length);
  let total = 0;
  let docCount = 0;
  docids.forEach((id, d) => {
    const terms = analyze(docs.get(id) ?? '', options);
    lengths[d] = terms.length;
    total += terms.length;
    if (terms.length > 0) docCount++;
    const tf = new Map<string, number>();
    for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
    for (const [t, n] of tf) {
      let p = postings.get(t);
      if (!p) postings.set(t, (p = { docs: [], tfs: [] }));
      p.docs.push(d);
      p.tfs.push(n);
    }
  });
  const avgdl = f(docCount === 0 ? 1 : total / docCount);
  const { k1, b } = options;
  const normInverse = new Float64Array(docids.length);
  lengths.forEach((len, d) => {
    const dl = options.lucene ? byte4ToInt(intToByte4(len)) : len;
    normInverse[d] = f(1 / f(k1 * f(f(1 - b) + f(f(b * dl) / avgdl))));
  });
  return { docids, postings, normInverse, docCount, avgdl, options };
}

/**
 * Scores one query. Without `candidates`, every doc sharing a term with the query, best
 * `hits` first; with them, exactly those docs (unknown docnos skipped), however they score.
 */
export function searchBm25(index: Bm25Index, query: string, opts: { hits?: number; candidates?: readonly string[] } = {}): RunEntry[] {
  const f = index.options.lucene ? Math.fround : (x: number): number => x;
  const counts = new Map<string, number>();
  for (const t of analyze(query, index.options)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const scores = new Map<number, number>();
  const N = index.docCount;
  for (const [term, boost] of counts) {
    const p = index.postings.get(term);
    if (!p) continue;
    const df = p.docs.length;
    // Lucene BM25Similarity.idf: log(1 + (N − df + 0.5) / (df + 0.5)); weight = boost · idf.
    const w = f(boost * f(Math.log(1 + (N - df + 0.5) / (df + 0.5))));
    p.docs.forEach((d, i) => {
      const tf = p.tfs[i] ?? 0;
      const s = f(w - f(w / f(1 + f(tf * (index.normInverse[d] ?? 0)))));
      scores.set(d, f((scores.get(d) ?? 0) + s));
    });
  }
  let entries: RunEntry[];
  if (opts.candidates) {
    const byId = new Map(index.docids.map((id, d) => [id, d]));
    entries = opts.candidates.filter((id) => byId.has(id)).map((id) => ({ docid: id, score: scores.get(byId.get(id) ?? -1) ?? 0, rank: 0 }));
  } else {
    entries = [...scores].map(([d, score]) => ({ docid: index.docids[d] ?? '', score, rank: 0 }));
  }
  entries.sort(compareTrec);
  const hits = opts.hits ?? (opts.candidates ? entries.length : BM25_DEFAULTS.hits);
  return entries.slice(0, hits).map((e, i) => ({ ...e, rank: i + 1 }));
}

/** A whole run: every query, in topic order; `rerank` limits each query to that run's docs. */
export function bm25Run(index: Bm25Index, queries: Topics, opts: { hits?: number; rerank?: Run } = {}): Run {
  const run: Run = new Map();
  for (const [qid, text] of queries) {
    if (opts.rerank && !opts.rerank.has(qid)) continue;
    const candidates = opts.rerank?.get(qid)?.map((e) => e.docid);
    run.set(qid, searchBm25(index, text, { ...(opts.hits !== undefined && { hits: opts.hits }), ...(candidates && { candidates }) }));
  }
  return run;
}

// Lucene SmallFloat: doc lengths below 24 are exact, longer ones keep 4 significant bits.
const NUM_FREE_VALUES = 255 - longToInt4(2 ** 31 - 1);

function longToInt4(i: number): number {
  const numBits = i === 0 ? 0 : Math.floor(Math.log2(i)) + 1;
  if (numBits < 4) return i;
  const shift = numBits - 4;
  return (Math.floor(i / 2 ** shift) & 0x07) | ((shift + 1) << 3);
}

function int4ToLong(i: number): number {
  const bits = i & 0x07;
  const shift = (i >>> 3) - 1;
  return shift === -1 ? bits : (bits | 0x08) * 2 ** shift;
}

/** SmallFloat.intToByte4: the norm byte Lucene stores for a field length. */
export function intToByte4(i: number): number {
  return i < NUM_FREE_VALUES ? i : NUM_FREE_VALUES + longToInt4(i - NUM_FREE_VALUES);
}

/** SmallFloat.byte4ToInt: the length Lucene's BM25 reads back. */
export function byte4ToInt(b: number): number {
  return b < NUM_FREE_VALUES ? b : NUM_FREE_VALUES + int4ToLong(b - NUM_FREE_VALUES);
}
