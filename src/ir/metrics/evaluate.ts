/**
 * Evaluates a run against qrels with trec_eval's conventions (trec_eval.c main loop):
 * - only queries with both judgements and results are evaluated; run qids without qrels are
 *   skipped (and listed), so are judged qids missing from the run unless `complete` (-c), which
 *   scores them 0;
 * - queries whose judgements hold no relevant doc are evaluated (score 0) and count in the mean
 *   (trec_eval ≥ 8: "queries with no relevance information are ignored", not those with no relevant doc);
 * - per-query results are in qid order by strcmp, as trec_eval prints them; the aggregate is
 *   the arithmetic mean over evaluated queries.
 */
import { CelensError, UsageError } from '../../errors.js';
import type { Qrels, Run } from '../collection.js';
import { compareBytes } from '../trec.js';
import { judgeRanking } from './judged.js';
import type { JudgedRanking } from './judged.js';
import { computeMeasure, measureName, measureRelLevel, parseMeasure } from './measures.js';
import type { Measure } from './measures.js';

/** Measures to compute (ir_measures names), the relevance level (trec_eval -l) and whether missing queries count (-c). */
export interface EvaluateOptions {
  /** Measure names (ir_measures style) or parsed measures. @default EVALUATE_DEFAULTS.metrics */
  metrics?: ReadonlyArray<string | Measure>;
  /** trec_eval -l: grade at which a doc counts as relevant. @default 1 */
  relLevel?: number;
  /** trec_eval -c: also average over judged queries missing from the run (scored 0). @default false */
  complete?: boolean;
}

export const EVALUATE_DEFAULTS = {
  metrics: ['nDCG@10', 'RR@10', 'AP', 'P@10', 'R@100'] as readonly string[],
  relLevel: 1,
  complete: false,
};

/** Per-query and aggregate values of each measure, as trec_eval computes them. */
export interface Evaluation {
  /** Measure names in the order asked, as ir_measures writes them (`AP(rel=2)` under relLevel 2). */
  measures: string[];
  relLevel: number;
  /** qid → measure → value, qids in strcmp order. */
  perQuery: Map<string, Record<string, number>>;
  /** measure → mean over `numQueries`. */
  aggregate: Record<string, number>;
  numQueries: number;
  /** Run qids without judgements (skipped), judged qids without results (skipped unless complete). */
  skipped: { noQrels: string[]; noRun: string[] };
}

/** Evaluates a run against qrels with trec_eval-exact measures (nDCG@k, RR, AP, P@k, R@k). */
export function evaluate(qrels: Qrels, run: Run, opts: EvaluateOptions = {}): Evaluation {
  const relLevel = opts.relLevel ?? EVALUATE_DEFAULTS.relLevel;
  if (!Number.isInteger(relLevel) || relLevel < 0) throw new UsageError(`relevance level must be a non-negative integer, found ${relLevel}`);
  const measures: Measure[] = (opts.metrics ?? EVALUATE_DEFAULTS.metrics).map((m) => (typeof m === 'string' ? parseMeasure(m) : m));
  if (measures.length === 0) throw new UsageError('no measures asked for');
  const names = measures.map((m) => measureName(m, relLevel));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`measure ${dup} asked for twice`);

  const complete = opts.complete ?? EVALUATE_DEFAULTS.complete;
  const qids = [...qrels.keys()].filter((q) => complete || run.has(q)).sort(compareBytes);
  const perQuery = new Map<string, Record<string, number>>();
  const sums = new Array<number>(measures.length).fill(0);
  for (const qid of qids) {
    const judgements = qrels.get(qid) ?? new Map<string, number>();
    const entries = run.get(qid) ?? [];
    const byLevel = new Map<number, JudgedRanking>();
    const values: Record<string, number> = {};
    measures.forEach((m, i) => {
      const level = measureRelLevel(m, relLevel);
      let j = byLevel.get(level);
      if (!j) byLevel.set(level, (j = judgeRanking(judgements, entries, level)));
      const v = computeMeasure(m, j);
      values[names[i] as string] = v;
      sums[i] = (sums[i] ?? 0) + v;
    });
    perQuery.set(qid, values);
  }
  if (qids.length === 0) throw new CelensError('no queries with both results and relevance info (trec_eval would stop here too)');
  const aggregate: Record<string, number> = {};
  names.forEach((n, i) => (aggregate[n] = (sums[i] ?? 0) / qids.length));
  return {
    measures: names,
    relLevel,
    perQuery,
    aggregate,
    numQueries: qids.length,
    skipped: {
      noQrels: [...run.keys()].filter((q) => !qrels.has(q)).sort(compareBytes),
      noRun: [...qrels.keys()].filter((q) => !run.has(q)).sort(compareBytes),
    },
  };
}
