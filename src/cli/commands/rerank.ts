/**
 * `celens rerank MODEL --collection C --out run.txt [--run FIRST.txt] [--top-k 100] [--eval]`:
 * reranks each query's first-stage top k with the cross-encoder and writes a TREC run. While it
 * works, scores go to `run.txt.partial` (a journal: a rerun after a kill or Ctrl-C resumes it);
 * the run file appears only at the end, whole (tmp + rename). `--eval` compares the reranked run
 * with the first stage and the random floor of the same candidates, and tests the difference from
 * the first stage (paired t and randomization tests, Holm over the measures).
 */
import { access, constants, stat, unlink } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { CelensError, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../formats/files.js';
import { COLLECTION_FORMATS } from '../../ir/collection.js';
import type { Collection, CollectionFormat, Run } from '../../ir/collection.js';
import { compareEvaluations, COMPARE_DEFAULTS } from '../../ir/compare.js';
import { loadCollection } from '../../ir/detect.js';
import { evaluate, EVALUATE_DEFAULTS } from '../../ir/metrics/evaluate.js';
import { randomFloor, RANDOM_FLOOR_DEFAULTS } from '../../ir/random-floor.js';
import { firstStage, limitQueries, rerank, RERANK_DEFAULTS } from '../../ir/rerank.js';
import { describeTies, findTopKTies } from '../../ir/ties.js';
import { formatRun, readRun, trecOrder } from '../../ir/trec.js';
import { releaseModel } from '../../model/load.js';
import { masksToJson } from '../../model/masks.js';
import { ACTIVATIONS, relevanceRule } from '../../model/relevance.js';
import type { Activation } from '../../model/relevance.js';
import { makeScorer } from '../../model/scorer.js';
import { SCORE_DEFAULTS } from '../../model/score.js';
import { poolScorer } from '../../jobs/score-parallel.js';
import { poolSize, startPool } from '../../jobs/pool.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import type { Truncation } from '../../tokenize/tokenizer.js';
import { formatDelta, pCells, pHeaders } from '../compare-print.js';
import { checkWorkers, modelDir, optionalMasks, setupFor, tokenizerDir, withBackend, withHub, withTokenizer, withWorkers } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs, WorkersArgs } from '../common.js';
import { progressBar } from '../progress.js';
import { stopOnCtrlC } from '../stop.js';

interface RerankArgs extends BackendArgs, HubArgs, TokenizerArgs, WorkersArgs {
  model: string;
  collection: string;
  format: CollectionFormat | undefined;
  split: string | undefined;
  run: string | undefined;
  'top-k': number;
  'max-queries': number | undefined;
  'batch-size': number;
  'chunk-size': number;
  mask: string | undefined;
  'max-length': number | undefined;
  truncation: Truncation;
  activation: Activation | undefined;
  out: string;
  tag: string;
  eval: boolean;
  'rel-level': number;
}

export const rerankCommand: CommandModule<object, RerankArgs> = {
  command: 'rerank <model>',
  describe: "rerank a collection's first-stage run with the cross-encoder, written as a TREC run (resumable)",
  builder: (y: Argv<object>): Argv<RerankArgs> =>
    withWorkers(withTokenizer(
      withBackend(
        withHub(y)
          .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
          .option('collection', { type: 'string', demandOption: true, describe: 'collection folder or file: query and document texts (qrels for --eval)' })
          .option('format', { choices: COLLECTION_FORMATS, describe: 'force the collection format' })
          .option('split', { type: 'string', describe: 'BEIR qrels split (default: test)' })
          .option('run', { type: 'string', describe: "first-stage TREC run (default: the collection's own, e.g. rank_llm's BM25)" })
          .option('top-k', { type: 'number', default: RERANK_DEFAULTS.topK, describe: 'candidates per query to rerank, by first-stage order' })
          .option('max-queries', { type: 'number', describe: 'only the first N judged queries of the first stage (byte order of qid, as prune)' })
          .option('batch-size', { type: 'number', default: SCORE_DEFAULTS.batchSize, describe: 'pairs per forward pass (sorted by length)' })
          .option('chunk-size', { type: 'number', default: RERANK_DEFAULTS.chunkSize, describe: 'pairs scored between two journal writes' })
          .option('mask', { type: 'string', describe: 'mask JSON, e.g. {"layer.0.ffn": [1, 5]} (a pruned model)' })
          .option('max-length', { type: 'number', describe: "tokens per pair incl. specials (default: the model's, at most 512)" })
          .option('truncation', { choices: ['longest_first', 'only_second'] as const, default: 'longest_first' as Truncation })
          .option('activation', { choices: ACTIVATIONS, describe: "applied to the logits before ranking (default: the model's relevance rule, see celens inspect)" })
          .option('out', { type: 'string', demandOption: true, describe: 'TREC run file to write' })
          .option('tag', { type: 'string', default: 'celens', describe: 'run tag (last column)' })
          .option('eval', { type: 'boolean', default: false, describe: 'print nDCG@10, RR@10, AP, P@10, R@100 next to the first stage and the random floor, and paired tests against the first stage' })
          .option('rel-level', { type: 'number', default: EVALUATE_DEFAULTS.relLevel, describe: '--eval: grade at which a doc counts as relevant (trec_eval -l; nDCG always uses the grades)' }),
      ),
    )),
  handler: async (argv) => {
    for (const k of ['top-k', 'batch-size', 'chunk-size'] as const) if (!Number.isInteger(argv[k]) || argv[k] < 1) throw new UsageError(`--${k} must be a positive integer`);
    checkWorkers(argv.workers);
    formatRun(new Map(), argv.tag); // refuses a bad tag now, not after the scoring
    const out = argv.out;
    const journal = `${out}.partial`;
    await checkWritable(out);
    const c = await loadCollection(argv.collection, { ...(argv.format && { format: argv.format }), ...(argv.split !== undefined && { split: argv.split }) });
    if (argv.run !== undefined) Object.assign(c, { run: await readRun(argv.run), runSource: argv.run });
    firstStage(c); // no first stage: say so before loading the model
    if (argv['max-queries'] !== undefined) Object.assign(c, limitQueries(c, argv['max-queries']));
    for (const w of c.warnings) process.stderr.write(`celens: warning: ${w}\n`);

    const resolved = await modelDir(argv);
    // A rerank scores many batches: with more than one worker, they start loading their model
    // copies now, and this thread reads no weights (closed below, or here if opening fails).
    const pool = poolSize(argv.workers) > 1 ? startPool<number[]>(resolved, { workers: argv.workers, backend: argv.backend }) : undefined;
    const { model, dir } = await setupFor(argv, resolved, pool !== undefined).catch(async (e: unknown) => {
      await pool?.close();
      throw e;
    });
    const bar = progressBar('rerank');
    const stop = stopOnCtrlC(`the chunk in flight; scores so far are kept in ${journal}`);
    const started = Date.now();
    // One worker pool for every chunk of the run (closed below).
    const encoded = poolScorer(dir, model, { workers: argv.workers, backend: argv.backend, pool });
    try {
      const masks = await optionalMasks(argv.mask, model);
      const tokDir = tokenizerDir(argv, dir);
      const tokenizer = await loadTokenizer(tokDir, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
      const opts = { batchSize: argv['batch-size'], activation: relevanceRule(model.config, argv.activation).activation, truncation: argv.truncation, ...(masks && { masks }), ...(argv['max-length'] !== undefined && { maxLength: argv['max-length'] }) };
      // Worker count changes no score (score-parallel.ts), so it stays out of scorerId.
      const scorer = makeScorer(model, tokenizer, { ...opts, scoreEncoded: encoded });
      // Everything that changes a score; a journal made with other settings is refused.
      const scorerId = { model: resolve(dir), tokenizer: resolve(tokenizer.source), ...opts, masks: masks ? masksToJson(masks) : null, maxLength: argv['max-length'] ?? null };
      const res = await rerank(c, scorer, { topK: argv['top-k'], chunkSize: argv['chunk-size'], journal, scorerId, stop, onProgress: (d, t) => bar.update(d, t) });
      bar.stop();
      for (const w of res.warnings) process.stderr.write(`celens: warning: ${w}\n`);
      if (!res.complete) {
        process.stderr.write(`celens: interrupted; ${res.run.size > 0 ? 'scores so far are' : 'nothing is'} in ${journal}; rerun the same command to resume\n`);
        process.exitCode = 130;
        return;
      }
      // Whole or not at all: a reader never sees half a run file.
      await writeFileAtomic(out, formatRun(res.run, argv.tag));
      await unlink(journal).catch(() => undefined);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      const resumed = res.resumed > 0 ? ` (${res.resumed} resumed from ${journal})` : '';
      const skipped = res.skipped > 0 ? `; ${res.skipped} candidates skipped, see the warnings above` : '';
      process.stderr.write(`celens: wrote ${out}: ${res.run.size} queries, ${res.pairs} pairs${resumed} reranked in ${secs}s (top ${argv['top-k']} of ${c.runSource ?? 'the first stage'})${skipped}\n`);
      if (argv.eval) printEvaluation(c, res.run, argv['top-k'], out, argv['rel-level']);
    } finally {
      stop.release();
      bar.stop();
      await encoded.close();
      await pool?.close();
      await releaseModel(model);
    }
  },
};

/**
 * The reranked run next to the first stage's top k and the random floor of those same candidates,
 * then the paired tests of the reranked run against that first stage (as `celens compare`).
 */
function printEvaluation(c: Collection, run: Run, topK: number, runName: string, relLevel: number): void {
  if (c.qrels.size === 0) {
    process.stderr.write(`celens: warning: ${c.name} has no qrels; --eval skipped\n`);
    return;
  }
  const first = new Map([...firstStage(c)].map(([q, e]) => [q, trecOrder(e).slice(0, topK)]));
  const metrics = [...EVALUATE_DEFAULTS.metrics];
  const ev = evaluate(c.qrels, run, { metrics, relLevel });
  const base = evaluate(c.qrels, first, { metrics, relLevel });
  const floor = randomFloor(c.qrels, first, { depth: topK, metrics, relLevel });
  const ties = describeTies(findTopKTies(run, 10), runName);
  if (ties) process.stderr.write(`celens: warning: ${ties}\n`);
  if (ev.skipped.noQrels.length > 0) process.stderr.write(`celens: note: ${ev.skipped.noQrels.length} reranked qids have no qrels and were skipped, as trec_eval does\n`);
  if (ev.skipped.noRun.length > 0) process.stderr.write(`celens: note: ${ev.skipped.noRun.length} judged qids are not in the reranked run and were skipped (trec_eval without -c)\n`);
  const cols = ['rerank', `first-stage@${topK}`, `floor(${RANDOM_FLOOR_DEFAULTS.shuffles} shuffles)`];
  let text = `${'measure'.padEnd(22)}\t${cols.join('\t')}\n`;
  for (const m of ev.measures) text += `${m.padEnd(22)}\t${[ev.aggregate[m], base.aggregate[m], floor.aggregate[m]].map((v) => (v ?? 0).toFixed(4)).join('\t')}\n`;
  text += `${'queries'.padEnd(22)}\t${ev.numQueries}\t${base.numQueries}\t${base.numQueries}\n`;
  // Paired tests of the reranked run against the first stage, on lines of their own (`paired:MEASURE`)
  // so that the table above keeps its columns for whoever parses it.
  const { tests, correction, trials, seed } = COMPARE_DEFAULTS;
  const cmp = compareEvaluations({ name: cols[1] as string, evaluation: base }, [{ name: 'rerank', evaluation: ev }], { tests, correction, trials, seed });
  text += `${'paired'.padEnd(22)}\t${['delta', ...pHeaders(tests, correction)].join('\t')}\n`;
  for (const r of cmp.rows) text += `${`paired:${r.measure}`.padEnd(22)}\t${[formatDelta(r.delta), ...pCells(r, tests, correction)].join('\t')}\n`;
  process.stderr.write(`celens: note: paired: rerank − ${cols[1] as string} over the ${cmp.queries.rerank ?? 0} queries both have; two-sided paired t-test and randomization test (${trials} sign flips from seed ${seed}, or all of them when 2^n ≤ ${trials}); p-${correction} adjusts over the ${cmp.rows.length} measures\n`);
  process.stdout.write(text);
}

/** Fails before any loading or scoring when the run (or its journal) cannot be written. */
async function checkWritable(out: string): Promise<void> {
  const dir = dirname(out);
  try {
    await access(`${dir}${sep}`, constants.W_OK); // trailing separator: a regular file here is ENOTDIR
  } catch (e) {
    throw new CelensError(`cannot write the run here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: dir });
  }
  const s = await stat(out).catch(() => undefined);
  if (s?.isDirectory()) throw new CelensError('is a folder; --out must name a file', { file: out });
}
