/**
 * What a sweep's rows say, cell by cell, computed from the rows alone (so a resumed sweep, or a
 * journal read back, gives the same numbers):
 *
 * - **Seeds**: the seeds of a random control at one budget fold into one cell (`random@1%`,
 *   `random:bottom@1%`): per measure, the mean over seeds, the sample sd (n − 1) and the 95%
 *   confidence interval of that mean, mean ± t(0.975; S − 1) · sd / √S (Student's t, S seeds).
 * - **Paired tests over queries** (src/stats/paired.ts, two-sided): per measure, each cell against
 *   the unpruned model, and each ranked strategy against its random control at the same budget
 *   (the control whose `matched_to` names it). A control enters a test by its per-query mean over
 *   its seeds. Differences are cell − reference, as `celens compare` takes run − baseline.
 * - **Adjusted p-values** (src/stats/correction.ts): over each family on its own — every test
 *   against the unpruned model, and every test against a control (all measures × cells) — and
 *   each test (t, randomization) on its own, as `celens compare` adjusts over its rows.
 *
 * The per-query values are the rows' `per_query` (sweep journal version 2); a cell without them
 * (or with another number of queries than the unpruned row) is not tested. A test that cannot run
 * (the t-test on one query, or on differences all equal: see paired.ts) has a null p-value.
 */
import { COMPARE_DEFAULTS, PAIRED_TESTS } from '../ir/compare.js';
import type { PairedResult, TestPValues } from '../ir/compare.js';
import { adjustPValues } from '../stats/correction.js';
import type { Correction } from '../stats/correction.js';
import { pairedTTest, randomizationTest } from '../stats/paired.js';
import { studentTQuantile } from '../stats/special.js';
import type { CellRow } from './journal.js';

/** How summarizeSweep tests: the randomization test's trials and seed, and the p-value adjustment. */
export interface SweepSummaryOptions {
  /** Random sign vectors of the randomization test (exact when 2^queries ≤ trials). @default 10000 */
  trials?: number;
  /** Seed of the randomization test's sign vectors (each test starts from it). @default 1 */
  seed?: number;
  /** Adjustment within each family. @default 'holm' */
  correction?: Correction;
}

export const SUMMARY_DEFAULTS = { trials: COMPARE_DEFAULTS.trials, seed: COMPARE_DEFAULTS.seed, correction: COMPARE_DEFAULTS.correction };

/** A measure over a cell's seeds (one value for a cell without seeds: sd and interval null). */
export interface SeedStatistic {
  mean: number;
  /** Sample standard deviation over seeds (n − 1); null under 2 seeds. */
  sd: number | null;
  /** 95% confidence interval of the mean over seeds (Student's t); null under 2 seeds. */
  ci95: [number, number] | null;
}

/** One cell of the summary: a deterministic cell, or a random control's seeds folded together. */
export interface SummaryCell {
  /** `top@1%`, or `random@1%` for the seeds `random@1%#1…#S`. */
  cell: string;
  strategy: string;
  budget: number | null;
  n: number;
  /** The seeds folded into the cell (empty for a deterministic one). */
  seeds: number[];
  /** Random controls: the strategy whose per-layer counts they copy (null: a global draw). */
  matched_to?: string | null;
  /** Units removed per layer; null when the seeds removed different counts (a global draw). */
  counts_per_layer: number[] | null;
  metrics: Record<string, SeedStatistic>;
}

/** One paired test: a cell against a reference (`unpruned`, or its random control) on one measure. */
export interface SweepTest extends PairedResult {
  cell: string;
  /** `unpruned`, or the control cell (`random@1%`); its mean (a control: of its per-query mean over seeds) is `baselineMean`. */
  against: string;
}

export interface SweepSummary {
  /** Queries the tests pair over. */
  queries: number;
  measures: string[];
  correction: Correction;
  trials: number;
  seed: number;
  /** Baselines (first-stage, random-ranking, unpruned), then the cells in plan order. */
  cells: SummaryCell[];
  /** Per cell in order: per measure, against unpruned, then against its control when the sweep has one. */
  tests: SweepTest[];
}

interface Group {
  key: string;
  rows: CellRow[];
}

/** Folds a random control's seeds (`random@1%#3` → `random@1%`) and summarizes and tests every cell. */
export function summarizeSweep(rows: readonly CellRow[], opts: SweepSummaryOptions = {}): SweepSummary {
  const trials = opts.trials ?? SUMMARY_DEFAULTS.trials;
  const seed = opts.seed ?? SUMMARY_DEFAULTS.seed;
  const correction = opts.correction ?? SUMMARY_DEFAULTS.correction;
  const groups = new Map<string, Group>();
  for (const r of rows) {
    const key = r.seed === undefined ? r.cell : r.cell.replace(/#\d+$/, '');
    const g = groups.get(key);
    if (g) g.rows.push(r);
    else groups.set(key, { key, rows: [r] });
  }
  const measures = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))];
  const unpruned = groups.get('unpruned');
  const queries = unpruned?.rows[0]?.per_query ? Math.max(0, ...Object.values(unpruned.rows[0].per_query).map((v) => v.length)) : 0;

  const cells: SummaryCell[] = [...groups.values()].map(({ key, rows: g }) => {
    const first = g[0] as CellRow;
    const counts = g.every((r) => r.counts_per_layer.join() === first.counts_per_layer.join()) ? first.counts_per_layer : null;
    return {
      cell: key,
      strategy: first.strategy,
      budget: first.budget,
      n: first.n,
      seeds: g.flatMap((r) => (r.seed === undefined ? [] : [r.seed])),
      ...(first.matched_to !== undefined && { matched_to: first.matched_to }),
      counts_per_layer: counts,
      metrics: Object.fromEntries(measures.filter((m) => g.every((r) => m in r.metrics)).map((m) => [m, seedStatistic(g.map((r) => r.metrics[m] as number))])),
    };
  });

  // A ranked strategy's control: the random cell at the same budget label matched to it.
  const controls = new Map<string, Group>();
  for (const g of groups.values()) {
    const first = g.rows[0] as CellRow;
    if (typeof first.matched_to === 'string') controls.set(`${first.matched_to}${budgetSuffix(g.key)}`, g);
  }
  const tests: SweepTest[] = [];
  const pending: Array<{ test: SweepTest; family: 'unpruned' | 'control' }> = [];
  for (const g of groups.values()) {
    const first = g.rows[0] as CellRow;
    if (first.budget === null) continue; // a baseline
    const control = first.matched_to === undefined ? controls.get(g.key) : undefined;
    for (const m of measures) {
      const y = perQueryMean(g.rows, m, queries);
      const against = (name: string, ref: Group | undefined, family: 'unpruned' | 'control'): void => {
        const x = ref ? perQueryMean(ref.rows, m, queries) : undefined;
        if (x === undefined || y === undefined) return;
        const test = pairedTest(g.key, name, m, x, y, { trials, seed });
        tests.push(test);
        pending.push({ test, family });
      };
      against('unpruned', unpruned, 'unpruned');
      if (control) against(control.key, control, 'control');
    }
  }
  for (const family of ['unpruned', 'control'] as const) {
    const members = pending.filter((x) => x.family === family).map((x) => x.test);
    for (const t of PAIRED_TESTS) {
      const adjusted = adjustPValues(members.map((x) => x.p[t] ?? NaN), correction);
      members.forEach((x, i) => (x.pAdjusted[t] = orNull(adjusted[i] as number)));
    }
  }
  return { queries, measures, correction, trials, seed, cells, tests };
}

/** `@1%` of `random:bottom@1%` (strategy names hold no `@`). */
function budgetSuffix(key: string): string {
  const at = key.indexOf('@');
  return at < 0 ? '' : key.slice(at);
}

/** Mean, sample sd and the t interval of the mean of one measure over seeds. */
export function seedStatistic(values: readonly number[]): SeedStatistic {
  const S = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / S;
  if (S < 2) return { mean, sd: null, ci95: null };
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (S - 1));
  const half = (studentTQuantile(0.975, S - 1) * sd) / Math.sqrt(S);
  return { mean, sd, ci95: [mean - half, mean + half] };
}

/** Per query, the mean over the rows (seeds) of measure m; undefined when a row lacks them. */
function perQueryMean(rows: readonly CellRow[], m: string, queries: number): number[] | undefined {
  const lists = rows.map((r) => r.per_query?.[m]);
  if (queries === 0 || lists.some((v) => v === undefined || v.length !== queries)) return undefined;
  return Array.from({ length: queries }, (_v, q) => lists.reduce((a, v) => a + ((v as number[])[q] as number), 0) / lists.length);
}

function pairedTest(cell: string, against: string, measure: string, x: number[], y: number[], random: { trials: number; seed: number }): SweepTest {
  const baselineMean = mean(x);
  const runMean = mean(y);
  const p: TestPValues = { t: orNull(pairedTTest(x, y).p), randomization: orNull(randomizationTest(x, y, random).p) };
  return { cell, against, measure, baselineMean, mean: runMean, delta: runMean - baselineMean, p, pAdjusted: { t: null, randomization: null } };
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function orNull(p: number): number | null {
  return Number.isNaN(p) ? null : p;
}
