/**
 * Comparing runs with significance tests: per measure, each run against the first (the baseline)
 * over the queries both have — their means there, the difference, the two-sided paired t-test and
 * paired randomization (sign-flip) test p-values (src/stats/paired.ts), and the p-values adjusted
 * over the whole family of rows (every measure × every run), each test's family on its own.
 * Per-query values are evaluate()'s, so the measures are trec_eval's.
 */
import { CelensError, UsageError } from '../errors.js';
import { adjustPValues } from '../stats/correction.js';
import type { Correction } from '../stats/correction.js';
import { pairedTTest, randomizationTest, RANDOMIZATION_DEFAULTS } from '../stats/paired.js';
import type { RandomizationOptions } from '../stats/paired.js';
import type { Qrels, Run } from './collection.js';
import { evaluate } from './metrics/evaluate.js';
import type { Evaluation, EvaluateOptions } from './metrics/evaluate.js';

export type PairedTestName = 't' | 'randomization';
export const PAIRED_TESTS: readonly PairedTestName[] = ['t', 'randomization'];

export interface CompareOptions extends RandomizationOptions {
  /** Tests to run; a test not asked for has null p-values. @default both */
  tests?: readonly PairedTestName[];
  /** Adjustment over the family of rows. @default 'holm' */
  correction?: Correction;
}

export const COMPARE_DEFAULTS = {
  tests: PAIRED_TESTS,
  correction: 'holm' as Correction,
  trials: RANDOMIZATION_DEFAULTS.trials,
  seed: RANDOMIZATION_DEFAULTS.seed,
};

/** One p-value per test: null when the test was not asked for or cannot run (t needs 2 queries, randomization 1). */
export interface TestPValues {
  t: number | null;
  randomization: number | null;
}

/** A paired comparison on one measure: the two means, their difference and the tests' p-values. */
export interface PairedResult {
  measure: string;
  /** The baseline's mean over the queries both sides have. */
  baselineMean: number;
  /** The other side's mean over the same queries. */
  mean: number;
  /** mean − baselineMean. */
  delta: number;
  p: TestPValues;
  pAdjusted: TestPValues;
}

/** One run against the baseline on one measure. */
export interface ComparisonRow extends PairedResult {
  run: string;
}

export interface RunComparison {
  baseline: string;
  /** Measure by measure, and within a measure the runs in the order given. */
  rows: ComparisonRow[];
  /** Run name → the number of queries it shares with the baseline (those its rows average over). */
  queries: Record<string, number>;
}

/** A run's evaluation under a name (a file, a tag). */
export interface NamedEvaluation {
  name: string;
  evaluation: Evaluation;
}

/** Compares evaluations already made (the same measures, the first is the baseline). */
export function compareEvaluations(baseline: NamedEvaluation, runs: readonly NamedEvaluation[], opts: CompareOptions = {}): RunComparison {
  const tests = new Set(opts.tests ?? COMPARE_DEFAULTS.tests);
  for (const t of tests) if (!PAIRED_TESTS.includes(t)) throw new UsageError(`unknown test '${String(t)}' (known: ${PAIRED_TESTS.join(', ')})`);
  const correction = opts.correction ?? COMPARE_DEFAULTS.correction;
  const random = { trials: opts.trials ?? COMPARE_DEFAULTS.trials, seed: opts.seed ?? COMPARE_DEFAULTS.seed };
  const names = [baseline.name, ...runs.map((r) => r.name)];
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`run ${dup} given twice`);
  const measures = baseline.evaluation.measures;
  for (const r of runs) {
    if (r.evaluation.measures.join('\n') !== measures.join('\n')) throw new UsageError(`${r.name} was evaluated on ${r.evaluation.measures.join(' ')}, the baseline on ${measures.join(' ')}`);
  }

  const queries: Record<string, number> = {};
  const common = runs.map((r) => {
    const qids = [...baseline.evaluation.perQuery.keys()].filter((q) => r.evaluation.perQuery.has(q));
    if (qids.length === 0) throw new CelensError(`${r.name} and the baseline ${baseline.name} have no evaluated query in common`);
    queries[r.name] = qids.length;
    return qids;
  });
  const values = (ev: Evaluation, qids: string[], m: string): number[] => qids.map((q) => ev.perQuery.get(q)?.[m] ?? 0);
  const rows: ComparisonRow[] = [];
  for (const m of measures) {
    runs.forEach((r, i) => {
      const qids = common[i] as string[];
      const x = values(baseline.evaluation, qids, m);
      const y = values(r.evaluation, qids, m);
      const baselineMean = mean(x);
      const runMean = mean(y);
      const t = tests.has('t') ? pairedTTest(x, y).p : NaN;
      const randomization = tests.has('randomization') ? randomizationTest(x, y, random).p : NaN;
      rows.push({ run: r.name, measure: m, baselineMean, mean: runMean, delta: runMean - baselineMean, p: { t: orNull(t), randomization: orNull(randomization) }, pAdjusted: { t: null, randomization: null } });
    });
  }
  for (const test of PAIRED_TESTS) {
    const adjusted = adjustPValues(rows.map((r) => r.p[test] ?? NaN), correction);
    rows.forEach((r, i) => (r.pAdjusted[test] = orNull(adjusted[i] as number)));
  }
  return { baseline: baseline.name, rows, queries };
}

/** Evaluates each run (trec_eval's measures, as evaluate()) and compares them, the first being the baseline. */
export function compareRuns(qrels: Qrels, runs: ReadonlyArray<{ name: string; run: Run }>, opts: CompareOptions & Omit<EvaluateOptions, 'complete'> = {}): RunComparison {
  if (runs.length < 2) throw new UsageError(`comparing needs a baseline and at least one run, found ${runs.length} run${runs.length === 1 ? '' : 's'}`);
  const evOpts = { ...(opts.metrics && { metrics: opts.metrics }), ...(opts.relLevel !== undefined && { relLevel: opts.relLevel }) };
  const [first, ...rest] = runs.map((r) => ({ name: r.name, evaluation: evaluate(qrels, r.run, evOpts) }));
  return compareEvaluations(first as NamedEvaluation, rest, opts);
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function orNull(p: number): number | null {
  return Number.isNaN(p) ? null : p;
}
