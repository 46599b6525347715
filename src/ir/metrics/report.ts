/** Evaluation output: trec_eval's three columns (`measure  qid  value`) or JSON. */
import type { Evaluation } from './evaluate.js';

/** trec_eval prints `%-22s\t%s\t%6.4f`: per-query blocks first (with -q), then `all`. */
export function formatTrecEval(ev: Evaluation, opts: { perQuery?: boolean } = {}): string {
  const line = (name: string, qid: string, v: number): string => `${name.padEnd(22)}\t${qid}\t${v.toFixed(4)}\n`;
  const out: string[] = [];
  if (opts.perQuery) for (const [qid, values] of ev.perQuery) for (const m of ev.measures) out.push(line(m, qid, values[m] ?? 0));
  for (const m of ev.measures) out.push(line(m, 'all', ev.aggregate[m] ?? 0));
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
