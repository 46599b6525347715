/**
 * `celens eval --qrels Q --run R [--metrics …] [--rel-level N] [--per-query] [--format F] [--json]`:
 * trec_eval-exact measures under ir_measures names, printed as trec_eval prints them
 * (`measure  qid  value`); `--format trec_eval` prints trec_eval's own names instead (`ndcg_cut_10`,
 * `map`, …, with `num_q`) for tools that parse trec_eval output. `--collection C` stands in for
 * --qrels (and for --run, with the collection's first stage); `--floor` adds the random-reranking
 * floor of the same candidates.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import type { Qrels, Run } from '../../ir/collection.js';
import { loadCollection } from '../../ir/detect.js';
import { evaluate, EVALUATE_DEFAULTS } from '../../ir/metrics/evaluate.js';
import { evaluationToJson, formatTrecEval, MEASURE_NAMINGS, trecEvalLine } from '../../ir/metrics/report.js';
import type { MeasureNaming } from '../../ir/metrics/report.js';
import { parseMeasure } from '../../ir/metrics/measures.js';
import { trecEvalNames } from '../../ir/metrics/trec-eval-names.js';
import { randomFloor, RANDOM_FLOOR_DEFAULTS } from '../../ir/random-floor.js';
import { describeTies, findTopKTies } from '../../ir/ties.js';
import { readQrels, readRun } from '../../ir/trec.js';

interface EvalArgs {
  qrels: string | undefined;
  run: string | undefined;
  collection: string | undefined;
  metrics: string[] | undefined;
  'rel-level': number;
  'per-query': boolean;
  json: boolean;
  format: MeasureNaming;
  complete: boolean;
  floor: boolean;
  'ties-k': number;
}

export const evalCommand: CommandModule<object, EvalArgs> = {
  command: 'eval',
  describe: 'evaluate a TREC run against qrels, exactly as trec_eval (nDCG@k, RR, AP, P@k, R@k)',
  builder: (y: Argv<object>): Argv<EvalArgs> =>
    y
      .option('qrels', { type: 'string', describe: 'TREC qrels file (qid 0 docno grade)' })
      .option('run', { type: 'string', describe: 'TREC run file (qid Q0 docno rank score tag)' })
      .option('collection', { type: 'string', describe: 'collection folder or file: its qrels, and its first-stage run when --run is not given' })
      .option('metrics', { type: 'string', array: true, describe: `measures as ir_measures writes them: nDCG@10 RR RR@10 AP AP@k P@10 R@100 AP(rel=2) (default: ${EVALUATE_DEFAULTS.metrics.join(' ')}; with --format trec_eval, ${TREC_EVAL_DEFAULT_METRICS.join(' ')})` })
      .option('rel-level', { type: 'number', default: EVALUATE_DEFAULTS.relLevel, describe: 'grade at which a doc counts as relevant (trec_eval -l); nDCG always uses the grades' })
      .option('per-query', { type: 'boolean', default: false, describe: 'also print each query (trec_eval -q)' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON (keys: ir_measures names) instead of trec_eval lines' })
      .option('format', {
        choices: MEASURE_NAMINGS,
        default: 'ir_measures' as MeasureNaming,
        describe: "measure names in the trec_eval lines: ir_measures' (nDCG@10, RR, AP, P@10, R@100) or trec_eval's (ndcg_cut_10, recip_rank, map, P_10, recall_100, plus num_q)",
      })
      .option('complete', { type: 'boolean', default: false, describe: 'average over every judged query, scoring missing ones 0 (trec_eval -c)' })
      .option('floor', { type: 'boolean', default: false, describe: `also print the random floor: mean of ${RANDOM_FLOOR_DEFAULTS.shuffles} shuffles of each query's top ${RANDOM_FLOOR_DEFAULTS.depth}` })
      .option('ties-k', { type: 'number', default: 10, describe: 'warn when tied scores decide the top k' }),
  handler: async (argv) => {
    const trec = argv.format === 'trec_eval';
    if (trec && argv.json) throw new UsageError('--json writes ir_measures names as keys; leave out --format trec_eval or --json');
    // trec_eval has no RR@10 (recip_rank has no cutoff): its defaults say RR where ours say RR@10.
    const metrics = argv.metrics ?? [...(trec ? TREC_EVAL_DEFAULT_METRICS : EVALUATE_DEFAULTS.metrics)];
    // Refuse measures trec_eval has no name for before reading any file.
    if (trec) checkTrecEvalNames(metrics, argv['rel-level']);
    const { qrels, run, runName } = await inputs(argv);
    if (!Number.isInteger(argv['ties-k']) || argv['ties-k'] < 1) throw new UsageError('--ties-k must be a positive integer');
    const opts = { metrics, relLevel: argv['rel-level'], complete: argv.complete };
    const ev = evaluate(qrels, run, opts);
    const notes: string[] = [];
    const ties = describeTies(findTopKTies(run, argv['ties-k']), runName);
    if (ties) notes.push(`warning: ${ties}`);
    if (ev.skipped.noQrels.length > 0) notes.push(`note: ${ev.skipped.noQrels.length} qids in the run have no qrels and were skipped, as trec_eval does (${ev.skipped.noQrels.slice(0, 5).join(', ')}${ev.skipped.noQrels.length > 5 ? ', …' : ''})`);
    if (ev.skipped.noRun.length > 0) notes.push(`note: ${ev.skipped.noRun.length} judged qids are not in the run and were ${argv.complete ? 'scored 0 (--complete)' : 'skipped (trec_eval without -c)'}`);
    for (const n of notes) process.stderr.write(`celens: ${n}\n`);
    const floor = argv.floor ? randomFloor(qrels, run, { metrics: ev.measures, relLevel: argv['rel-level'] }) : undefined;
    if (argv.json) {
      const json = { ...evaluationToJson(ev, { perQuery: argv['per-query'] }), ...(floor && { floor }), warnings: notes };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      return;
    }
    let out = formatTrecEval(ev, { perQuery: argv['per-query'], naming: argv.format });
    const names = trec ? trecEvalNames(ev.measures, ev.relLevel) : ev.measures;
    if (floor) ev.measures.forEach((m, i) => (out += trecEvalLine(names[i] as string, 'floor', floor.aggregate[m] ?? 0)));
    process.stdout.write(out);
  },
};

/** The measures `--format trec_eval` prints without --metrics: ours, with RR for RR@10. */
const TREC_EVAL_DEFAULT_METRICS = ['nDCG@10', 'RR', 'AP', 'P@10', 'R@100'] as const;

/** trecEvalNames, its refusals prefixed with the flag. */
function checkTrecEvalNames(metrics: string[], relLevel: number): void {
  const measures = metrics.map((m) => parseMeasure(m)); // a misspelt measure keeps its own message
  try {
    trecEvalNames(measures, relLevel);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(`--format trec_eval: ${err.message}`);
  }
}

async function inputs(argv: EvalArgs): Promise<{ qrels: Qrels; run: Run; runName: string }> {
  if (argv.qrels !== undefined && argv.collection !== undefined) throw new UsageError('give --qrels or --collection, not both');
  if (argv.qrels === undefined && argv.collection === undefined) throw new UsageError('give --qrels (or --collection) and --run');
  const collection = argv.collection !== undefined ? await loadCollection(argv.collection) : undefined;
  const qrels = argv.qrels !== undefined ? await readQrels(argv.qrels) : (collection?.qrels ?? new Map());
  if (argv.run !== undefined) return { qrels, run: await readRun(argv.run), runName: argv.run };
  if (!collection?.run) throw new UsageError(collection ? `${argv.collection} has no first-stage run: give --run` : 'give --run');
  return { qrels, run: collection.run, runName: collection.runSource ?? collection.name };
}
