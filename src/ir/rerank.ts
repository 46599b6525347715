/**
 * Reranking a first-stage run with any pair scorer (a cross-encoder, injected: the ir layer has
 * no tfjs). Each query's top k candidates, by the first stage's trec order, are scored as
 * (query text, doc text) pairs. Pairs of all queries are ordered by text length and scored in
 * large chunks, so the scorer's own length-sorting packs batches with little padding.
 *
 * Resumable: with `journal`, every scored chunk appends `qid<TAB>docid<TAB>score` lines after a
 * JSON header naming what the scores depend on (an append-only journal, formats/journal.ts). A rerun skips chunks whose pairs are all done and
 * rescores the rest whole — the same chunks as an uninterrupted run, so the same padding and the
 * same float32 bits: the final run is identical either way.
 */
import { createHash } from 'node:crypto';
import { CelensError, UsageError } from '../errors.js';
import { JournalWriter, resumeJournal } from '../formats/journal.js';
import type { JournalLine } from '../formats/journal.js';
import type { Collection, Run, RunEntry } from './collection.js';
import { plural, sample } from './collection.js';
import { compareBytes, compareTrec, trecOrder } from './trec.js';

/** Scores pairs in input order; `onProgress(done, total)` counts pairs within the call. */
export type PairScorer = (pairs: ReadonlyArray<readonly [string, string]>, onProgress?: (done: number, total: number) => void) => Promise<number[]>;

/** How rerank works through the candidates: depth, chunking, journal (resume), stop, progress. */
export interface RerankOptions {
  /** Candidates per query taken from the first stage (its trec order). @default 100 */
  topK?: number;
  /** Journal file to append to and resume from; none keeps everything in memory. */
  journal?: string;
  /** What the scores depend on besides the texts (model, masks, max length…), JSON. A resume must match it. */
  scorerId?: unknown;
  /** Pairs per scorer call and per journal append. Part of the journal header (it fixes the batches). @default 512 */
  chunkSize?: number;
  /** Pairs done (resumed ones included) of all pairs. */
  onProgress?: (done: number, total: number) => void;
  /** Set to stop after the chunk in flight (Ctrl-C); the result is then incomplete. */
  stop?: { requested: boolean };
}

/** The reranked run, whether it finished, and how many pairs were scored, resumed and skipped. */
export interface RerankResult {
  /** qid → entries ranked by descending score (trec order for ties), ranks 1…n. Partial if !complete. */
  run: Run;
  complete: boolean;
  /** Candidates skipped for lack of a query or document text, one line per kind. */
  warnings: string[];
  /** Pairs planned (after skips), resumed from the journal, and skipped. */
  pairs: number;
  resumed: number;
  skipped: number;
}

export const RERANK_DEFAULTS = { topK: 100, chunkSize: 512 };

interface Candidate {
  qid: string;
  docid: string;
  query: string;
  doc: string;
}

/** The collection's first stage, or an error saying how to get one. */
export function firstStage(c: Pick<Collection, 'name' | 'run'>): Run {
  if (c.run) return c.run;
  throw new UsageError(`${c.name}: the collection has no first-stage run to rerank; run \`celens bm25 --collection ${c.name} --out first.run\` first and pass --run first.run`);
}

/** The collection limited to its first `maxQueries` judged queries of the first stage. */
export function limitQueries<C extends Pick<Collection, 'run' | 'qrels'>>(c: C, maxQueries: number | undefined): C {
  if (maxQueries === undefined) return c;
  if (!Number.isInteger(maxQueries) || maxQueries < 1) throw new UsageError(`max queries must be a positive integer, found ${maxQueries}`);
  if (!c.run) return c;
  const keep = [...c.run.keys()].filter((q) => c.qrels.has(q)).sort(compareBytes).slice(0, maxQueries);
  return { ...c, run: new Map(keep.map((q) => [q, c.run?.get(q) ?? []])), qrels: new Map(keep.map((q) => [q, c.qrels.get(q) ?? new Map<string, number>()])) };
}

/**
 * The pairs to score, ordered by text length (ties: plan order) so that chunks hold similar
 * lengths. Candidates without a query or document text are skipped and reported, never dropped
 * silently.
 */
export function planCandidates(c: Pick<Collection, 'name' | 'run' | 'queries' | 'docs'>, topK: number): { cands: Candidate[]; warnings: string[]; skipped: number } {
  const run = firstStage(c);
  const cands: Candidate[] = [];
  const noQuery: string[] = [];
  const noDoc: string[] = [];
  let skipped = 0;
  for (const [qid, entries] of run) {
    const top = trecOrder(entries).slice(0, topK);
    const query = c.queries.get(qid);
    if (query === undefined) {
      noQuery.push(qid);
      skipped += top.length;
      continue;
    }
    for (const e of top) {
      const doc = c.docs.get(e.docid);
      if (doc === undefined) {
        noDoc.push(`${qid}/${e.docid}`);
        skipped++;
      } else cands.push({ qid, docid: e.docid, query, doc });
    }
  }
  const warnings: string[] = [];
  if (noQuery.length > 0) warnings.push(`${c.name}: ${noQuery.length} ${plural(noQuery.length, 'query', 'queries')} of the first stage ${plural(noQuery.length, 'has', 'have')} no text and ${plural(noQuery.length, 'was', 'were')} skipped (qid ${sample(noQuery)})`);
  if (noDoc.length > 0) warnings.push(`${c.name}: ${noDoc.length} ${plural(noDoc.length, 'candidate has', 'candidates have')} no document text and ${plural(noDoc.length, 'was', 'were')} left out of the reranked run (qid/docid ${sample(noDoc)})`);
  const order = cands.map((x, i) => [x.query.length + x.doc.length, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { cands: order.map(([, i]) => cands[i] as Candidate), warnings, skipped };
}

/** Reranks each query's first-stage top k with a scorer and returns the new run (resumable through a journal). */
export async function rerank(c: Pick<Collection, 'name' | 'run' | 'queries' | 'docs'>, scorer: PairScorer, opts: RerankOptions = {}): Promise<RerankResult> {
  const topK = opts.topK ?? RERANK_DEFAULTS.topK;
  const chunkSize = opts.chunkSize ?? RERANK_DEFAULTS.chunkSize;
  if (!Number.isInteger(topK) || topK < 1) throw new UsageError(`top k must be a positive integer, found ${topK}`);
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new UsageError(`chunk size must be a positive integer, found ${chunkSize}`);
  const { cands, warnings, skipped } = planCandidates(c, topK);
  const key = (x: { qid: string; docid: string }): string => `${x.qid}\t${x.docid}`;
  const header = { celens: 'rerank', version: 1, collection: c.name, topK, chunkSize, scorer: opts.scorerId ?? null, candidates: fingerprint(cands) };
  const found = opts.journal !== undefined ? await readJournal(opts.journal, JSON.stringify(header), new Set(cands.map(key))) : undefined;
  const scores = found ?? new Map<string, number>();
  const resumed = scores.size;
  const total = cands.length;
  let done = resumed;
  opts.onProgress?.(done, total);
  // The header is written once, into a journal that has none yet.
  const fh = opts.journal !== undefined ? await JournalWriter.open(opts.journal, found ? undefined : header) : undefined;
  let complete = true;
  try {
    for (let start = 0; start < total; start += chunkSize) {
      const chunk = cands.slice(start, start + chunkSize);
      const todo = chunk.filter((x) => !scores.has(key(x)));
      if (todo.length === 0) continue;
      if (opts.stop?.requested) {
        complete = false;
        break;
      }
      // The whole chunk is rescored even if part of it is done, so its batches match an uninterrupted run.
      const before = done;
      const got = await scorer(
        chunk.map((x) => [x.query, x.doc] as const),
        (d) => opts.onProgress?.(before + Math.round((d * todo.length) / chunk.length), total),
      );
      if (got.length !== chunk.length) throw new CelensError(`the scorer returned ${got.length} scores for ${chunk.length} pairs`);
      const lines: string[] = [];
      chunk.forEach((x, i) => {
        const v = got[i] as number;
        if (!Number.isFinite(v)) throw new CelensError(`the scorer gave a non-finite score (${v}) for qid ${x.qid}, docid ${x.docid}`);
        if (scores.has(key(x))) return;
        const s = float32String(v);
        scores.set(key(x), Number(s));
        lines.push(`${key(x)}\t${s}\n`);
      });
      // One write per chunk: a kill leaves whole lines and at most one torn last line.
      await fh?.lines(lines.join(''));
      done += todo.length;
      opts.onProgress?.(done, total);
    }
  } finally {
    await fh?.close();
  }
  return { run: buildRun(firstStage(c), cands, scores, key), complete, warnings, pairs: total, resumed, skipped };
}

/** Ranks by descending score, ties in trec_eval's order (docno descending); query order of the first stage. */
function buildRun(first: Run, cands: readonly Candidate[], scores: Map<string, number>, key: (x: Candidate) => string): Run {
  const byQuery = new Map<string, RunEntry[]>();
  for (const x of cands) {
    const score = scores.get(key(x));
    if (score === undefined) continue;
    let list = byQuery.get(x.qid);
    if (!list) byQuery.set(x.qid, (list = []));
    list.push({ docid: x.docid, score, rank: 0 });
  }
  const run: Run = new Map();
  for (const qid of first.keys()) {
    const list = byQuery.get(qid);
    if (list) run.set(qid, list.sort(compareTrec).map((e, i) => ({ ...e, rank: i + 1 })));
  }
  return run;
}

/**
 * The shortest decimal that reads back as the same float32 (e.g. 8.607138, not
 * 8.607138156890869): exact for a resume, short in the run file, and as ordered as the floats.
 */
export function float32String(v: number): string {
  const f = Math.fround(v);
  for (let p = 1; p < 9; p++) {
    const s = String(Number(f.toPrecision(p)));
    if (Math.fround(Number(s)) === f) return s;
  }
  return String(Number(f.toPrecision(9)));
}

/** Identifies the planned pairs (ids and texts) so a journal cannot be resumed over other inputs. */
function fingerprint(cands: readonly Candidate[]): string {
  const h = createHash('sha256');
  for (const x of cands) h.update(`${x.qid}\0${x.docid}\0${x.query}\0${x.doc}\0`);
  return `${cands.length}:${h.digest('hex').slice(0, 16)}`;
}

/**
 * Scores already in the journal, or undefined when it does not exist or is empty (a fresh start);
 * a torn last line is cut off the file (resumeJournal).
 */
async function readJournal(file: string, header: string, planned: Set<string>): Promise<Map<string, number> | undefined> {
  const lines = await resumeJournal(file);
  if (lines === undefined) return undefined;
  const [first, ...rest] = lines as [JournalLine, ...JournalLine[]];
  if (first.text !== header) {
    throw new CelensError(`an unfinished rerank with other settings (model, collection, top k or candidates) is here; delete it or choose another --out (found ${first.text.slice(0, 200)})`, { file });
  }
  const scores = new Map<string, number>();
  for (const { text, line } of rest) {
    const [qid, docid, s, extra] = text.split('\t');
    const v = Number(s);
    if (qid === undefined || docid === undefined || s === undefined || s === '' || extra !== undefined || !Number.isFinite(v) || !planned.has(`${qid}\t${docid}`)) {
      throw new CelensError('not a line of this rerank journal (delete the file to start over)', { file, line });
    }
    scores.set(`${qid}\t${docid}`, v);
  }
  return scores;
}
