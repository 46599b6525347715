/**
 * `celens compare --qrels Q --runs A B [C…] [--metrics …] [--rel-level N] [--test t randomization]
 * [--trials 10000] [--seed 1] [--correction holm|bonferroni|none] [--json]`: per measure, each run
 * against the first (the baseline) over the queries both have — means, difference, two-sided paired
 * t-test and randomization (sign-flip) test p-values, and p-values adjusted over every row
 * (src/ir/compare.ts). Per-query values are `eval`'s (trec_eval's measures).
 */
import type { Argv, CommandModule } from 'yargs';
import { CelensError, UsageError } from '../../errors.js';
import { compareEvaluations, COMPARE_DEFAULTS, PAIRED_TESTS } from '../../ir/compare.js';
import type { NamedEvaluation, PairedTestName } from '../../ir/compare.js';
import { evaluate, EVALUATE_DEFAULTS } from '../../ir/metrics/evaluate.js';
import { parseMeasure } from '../../ir/metrics/measures.js';
import { readQrels, readRun } from '../../ir/trec.js';
import { CORRECTIONS } from '../../stats/correction.js';
import type { Correction } from '../../stats/correction.js';
import { formatDelta, pCells, pHeaders } from '../compare-print.js';

interface CompareArgs {
  qrels: string;
  runs: string[];
  metrics: string[] | undefined;
  'rel-level': number;
  test: PairedTestName[];
  trials: number;
  seed: number;
  correction: Correction;
  json: boolean;
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  command: 'compare',
  describe: 'compare runs with a baseline (the first): means, deltas, paired t and randomization tests, corrected p-values',
  builder: (y: Argv<object>): Argv<CompareArgs> =>
    y
      .option('qrels', { type: 'string', demandOption: true, describe: 'TREC qrels file (qid 0 docno grade)' })
      .option('runs', { type: 'string', array: true, demandOption: true, describe: 'TREC run files, the baseline first' })
      .option('metrics', { type: 'string', array: true, describe: `measures as ir_measures writes them (default: ${EVALUATE_DEFAULTS.metrics.join(' ')})` })
      .option('rel-level', { type: 'number', default: EVALUATE_DEFAULTS.relLevel, describe: 'grade at which a doc counts as relevant (trec_eval -l); nDCG always uses the grades' })
      .option('test', { choices: PAIRED_TESTS, array: true, default: [...COMPARE_DEFAULTS.tests], describe: 'paired tests, both two-sided' })
      .option('trials', { type: 'number', default: COMPARE_DEFAULTS.trials, describe: 'random sign flips of the randomization test (exact, over every sign vector, when 2^n ≤ trials)' })
      .option('seed', { type: 'number', default: COMPARE_DEFAULTS.seed, describe: 'seed of the random sign flips (each row starts from it)' })
      .option('correction', { choices: CORRECTIONS, default: COMPARE_DEFAULTS.correction, describe: 'p-value adjustment over every row (all measures × runs), each test on its own' })
      .option('json', { type: 'boolean', default: false, describe: 'print {"baseline", "rows": [{"run", "measure", "baselineMean", "mean", "delta", "p", "pAdjusted"}]}' }),
  handler: async (argv) => {
    if (argv.runs.length < 2) throw new UsageError(`--runs needs the baseline and at least one run to compare with it, found ${argv.runs.length}`);
    const dup = argv.runs.find((r, i) => argv.runs.indexOf(r) !== i);
    if (dup !== undefined) throw new UsageError(`--runs: ${dup} given twice`);
    if (argv.test.length === 0) throw new UsageError(`--test needs one or more of ${PAIRED_TESTS.join(', ')}`);
    const tests = PAIRED_TESTS.filter((t) => argv.test.includes(t));
    if (!Number.isSafeInteger(argv.trials) || argv.trials < 1) throw new UsageError('--trials must be a positive integer');
    if (!Number.isInteger(argv.seed) || argv.seed < 0 || argv.seed > 0xffffffff) throw new UsageError('--seed must be an integer 0…4294967295');
    const metrics = argv.metrics ?? [...EVALUATE_DEFAULTS.metrics];
    const opts = { metrics, relLevel: argv['rel-level'] };
    for (const m of metrics) parseMeasure(m); // a misspelt measure is refused before any file is read

    const qrels = await readQrels(argv.qrels);
    const evaluated: NamedEvaluation[] = [];
    for (const file of argv.runs) {
      const run = await readRun(file);
      if (![...run.keys()].some((q) => qrels.has(q))) throw new CelensError(`no query of this run is judged in ${argv.qrels}`, { file });
      evaluated.push({ name: file, evaluation: evaluate(qrels, run, opts) });
    }
    const [baseline, ...runs] = evaluated as [NamedEvaluation, ...NamedEvaluation[]];
    const cmp = compareEvaluations(baseline, runs, { tests, trials: argv.trials, seed: argv.seed, correction: argv.correction });

    const nBase = baseline.evaluation.numQueries;
    for (const r of runs) {
      const shared = cmp.queries[r.name] ?? 0;
      if (shared !== nBase || shared !== r.evaluation.numQueries) {
        process.stderr.write(`celens: note: ${r.name} is compared over the ${shared} queries it shares with ${baseline.name} (evaluated: ${r.evaluation.numQueries} and ${nBase})\n`);
      }
      if (shared < 2 && tests.includes('t')) process.stderr.write(`celens: note: ${r.name}: the t-test needs 2 shared queries; its p is null\n`);
    }
    if (argv.json) {
      const rows = cmp.rows.map((r) => ({ run: r.run, measure: r.measure, baselineMean: r.baselineMean, mean: r.mean, delta: r.delta, p: r.p, pAdjusted: r.pAdjusted }));
      process.stdout.write(`${JSON.stringify({ baseline: cmp.baseline, rows }, null, 2)}\n`);
      return;
    }
    const lines = [
      `${'baseline'.padEnd(22)}\t${cmp.baseline}`,
      `${'measure'.padEnd(22)}\t${['run', 'queries', 'baseline', 'mean', 'delta', ...pHeaders(tests, argv.correction)].join('\t')}`,
      ...cmp.rows.map((r) => `${r.measure.padEnd(22)}\t${[r.run, String(cmp.queries[r.run] ?? 0), r.baselineMean.toFixed(4), r.mean.toFixed(4), formatDelta(r.delta), ...pCells(r, tests, argv.correction)].join('\t')}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
