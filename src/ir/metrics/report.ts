/** Evaluation output: trec_eval's three columns (`measure  qid  value`) or JSON. */
import type { Evaluation } from './evaluate.js';
import { trecEvalNames } from './trec-eval-names.js';

/** Which names the measures print under: ir_measures' (`nDCG@10`) or trec_eval's (`ndcg_cut_10`). */
export type MeasureNaming = 'ir_measures' | 'trec_eval';
export const MEASURE_NAMINGS: readonly MeasureNaming[] = ['ir_measures', 'trec_eval'];

export interface TrecEvalFormatOptions {
  /** trec_eval -q: each query's block before `all`. */
  perQuery?: boolean;
  /**
   * @default 'ir_measures'. With 'trec_eval' the names are trec_eval's (`trecEvalName`; a measure
   * without one is a UsageError) and the `all` block starts with `num_q`, the number of queries
   * averaged over, printed as an integer as trec_eval prints it (and, as there, not per query).
   */
  naming?: MeasureNaming;
}

/** A trec_eval line: `%-22s\t%s\t%6.4f` (meas_print_final.c), the same as `%.4f` for values in [0, 1]. */
export function trecEvalLine(name: string, qid: string, value: number): string {
  return `${name.padEnd(22)}\t${qid}\t${value.toFixed(4)}\n`;
}

/** trec_eval's layout: per-query blocks first (with -q), then `all`, measures in the order asked. */
export function formatTrecEval(ev: Evaluation, opts: TrecEvalFormatOptions = {}): string {
  const trec = opts.naming === 'trec_eval';
  const names = trec ? trecEvalNames(ev.measures, ev.relLevel) : ev.measures;
  const out: string[] = [];
  const block = (qid: string, values: Record<string, number>): void => {
    ev.measures.forEach((m, i) => out.push(trecEvalLine(names[i] as string, qid, values[m] ?? 0)));
  };
  if (opts.perQuery) for (const [qid, values] of ev.perQuery) block(qid, values);
  // num_q is a long in trec_eval: `%-22s\t%s\t%ld` (te_print_final_meas_s_long).
  if (trec) out.push(`${'num_q'.padEnd(22)}\tall\t${ev.numQueries}\n`);
  block('all', ev.aggregate);
  return out.join('');
}

export interface EvaluationJson {
  measures: string[];
  relLevel: number;
  numQueries: number;
  aggregate: Record<string, number>;
  perQuery?: Record<string, Record<string, number>>;
  skipped: { noQrels: string[]; noRun: string[] };
}

/** Full-precision values; per-query only when asked. */
export function evaluationToJson(ev: Evaluation, opts: { perQuery?: boolean } = {}): EvaluationJson {
  const json: EvaluationJson = { measures: ev.measures, relLevel: ev.relLevel, numQueries: ev.numQueries, aggregate: ev.aggregate, skipped: ev.skipped };
  if (opts.perQuery) json.perQuery = Object.fromEntries(ev.perQuery);
  return json;
}
