/**
 * `celens prune MODEL --collection C --out SWEEP.jsonl [--ranking R.json] …`: a pruning sweep
 * (pruning/sweep.ts). Each finished cell is appended to SWEEP.jsonl; rerunning the same command
 * resumes; a table is printed at the end, then the paired tests of every cell against the unpruned
 * model and of every strategy against its random control (pruning/summary.ts), or with --json the
 * summary as JSON.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { COLLECTION_FORMATS } from '../../ir/collection.js';
import type { CollectionFormat } from '../../ir/collection.js';
import { loadCollection } from '../../ir/detect.js';
import { firstStage, RERANK_DEFAULTS } from '../../ir/rerank.js';
import { readRun } from '../../ir/trec.js';
import { disposeModel } from '../../model/load.js';
import { ACTIVATIONS } from '../../model/relevance.js';
import type { Activation } from '../../model/relevance.js';
import { ABLATIONS } from '../../pruning/ablate.js';
import type { Ablation } from '../../pruning/ablate.js';
import { readFfnMeans, writeFfnMeans } from '../../pruning/means.js';
import { readUnitScores, UNITS } from '../../pruning/ranking.js';
import type { Unit } from '../../pruning/ranking.js';
import { STRATEGIES } from '../../pruning/select.js';
import type { Strategy, StrategyScores } from '../../pruning/select.js';
import { runSweep, SWEEP_DEFAULTS } from '../../pruning/sweep.js';
import { ENGINE_DEFAULTS } from '../../pruning/engine.js';
import { summarizeSweep, SUMMARY_DEFAULTS } from '../../pruning/summary.js';
import { formatSweepTable } from '../../pruning/table.js';
import { CORRECTIONS } from '../../stats/correction.js';
import type { Correction } from '../../stats/correction.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import type { Truncation } from '../../tokenize/tokenizer.js';
import { setup, tokenizerDir, withBackend, withHub, withTokenizer } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs } from '../common.js';
import { formatSweepTests } from '../prune-print.js';
import { stopOnCtrlC } from '../stop.js';

interface PruneArgs extends BackendArgs, HubArgs, TokenizerArgs {
  model: string;
  collection: string;
  format: CollectionFormat | undefined;
  split: string | undefined;
  run: string | undefined;
  out: string;
  unit: Unit;
  strategies: Strategy[] | undefined;
  budgets: string[];
  seeds: number;
  ranking: string | undefined;
  'ranking-nonrel': string | undefined;
  magnitude: string | undefined;
  ablation: Ablation;
  'reference-pairs': number;
  means: string | undefined;
  'top-k': number;
  'max-queries': number | undefined;
  metrics: string[];
  'rel-level': number;
  'batch-size': number;
  activation: Activation | undefined;
  'max-length': number | undefined;
  truncation: Truncation;
  'cache-mb': number;
  trials: number;
  correction: Correction;
  json: boolean;
}

export const pruneCommand: CommandModule<object, PruneArgs> = {
  command: 'prune <model>',
  describe: 'pruning sweep: remove top/bottom/magnitude/… neurons or heads and matched random controls at several budgets, rerank, evaluate, test',
  builder: (y: Argv<object>): Argv<PruneArgs> =>
    withTokenizer(withBackend(withHub(y)))
      .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
      .option('collection', { type: 'string', demandOption: true, describe: 'collection folder or file with queries, docs, qrels and a first-stage run' })
      .option('format', { choices: COLLECTION_FORMATS, describe: 'force the collection format' })
      .option('split', { type: 'string', describe: 'BEIR qrels split (default: test)' })
      .option('run', { type: 'string', describe: "first-stage TREC run (default: the collection's own; celens bm25 makes one)" })
      .option('out', { type: 'string', demandOption: true, describe: 'sweep JSONL (appended cell by cell; rerun to resume)' })
      .option('unit', { choices: UNITS, default: SWEEP_DEFAULTS.unit, describe: 'FFN neurons or attention heads' })
      .option('strategies', { choices: STRATEGIES, array: true, describe: 'default: those the given scores allow and the random control of each (top bottom nonrel random magnitude random:bottom random:nonrel random:magnitude; random is top\'s)' })
      .option('budgets', { type: 'string', array: true, default: SWEEP_DEFAULTS.budgets, describe: 'shares of all units (0.5%, 0.005) or counts (12)' })
      .option('seeds', { type: 'number', default: SWEEP_DEFAULTS.seeds, describe: 'random controls: seeds 1…N each' })
      .option('ranking', { type: 'string', describe: 'relevance ranking JSON {"site": "layer.{l}.ffn.pre"|"layer.{l}.attn.heads", "values": {"layer.0": […]}}' })
      .option('ranking-nonrel', { type: 'string', describe: 'non-relevance ranking (strategy nonrel), same format' })
      .option('magnitude', { type: 'string', describe: 'mean |activation| per neuron, same format (default: computed on --reference-pairs)' })
      .option('ablation', { choices: ABLATIONS, default: SWEEP_DEFAULTS.ablation, describe: 'zero the units, or replace neurons by their mean activation' })
      .option('reference-pairs', { type: 'number', default: SWEEP_DEFAULTS.referencePairs, describe: 'pairs (spread over the candidates) the means are taken over' })
      .option('means', { type: 'string', describe: 'means cache: read if present, else computed and written (default: OUT.means.json)' })
      .option('top-k', { type: 'number', default: RERANK_DEFAULTS.topK, describe: 'first-stage candidates per query' })
      .option('max-queries', { type: 'number', describe: 'only the first N judged queries' })
      .option('metrics', { type: 'string', array: true, default: SWEEP_DEFAULTS.metrics, describe: 'measures as ir_measures names them' })
      .option('rel-level', { type: 'number', default: SWEEP_DEFAULTS.relLevel, describe: 'grade at which a doc counts as relevant (trec_eval -l)' })
      .option('batch-size', { type: 'number', default: ENGINE_DEFAULTS.batchSize, describe: 'pairs per forward pass' })
      .option('activation', { choices: ACTIVATIONS, describe: "applied to the logits before ranking (default: the model's relevance rule, see celens inspect)" })
      .option('max-length', { type: 'number', describe: 'tokens per pair incl. specials' })
      .option('truncation', { choices: ['longest_first', 'only_second'] as const, default: 'longest_first' as Truncation })
      .option('cache-mb', { type: 'number', default: ENGINE_DEFAULTS.cacheBytes / (1024 * 1024), describe: 'memory for reused unpruned activations (0: recompute every cell)' })
      .option('trials', { type: 'number', default: SUMMARY_DEFAULTS.trials, describe: 'random sign flips of the randomization test (exact when 2^queries ≤ trials)' })
      .option('correction', { choices: CORRECTIONS, default: SUMMARY_DEFAULTS.correction, describe: 'p-value adjustment over the tests against unpruned and, apart, those against a control' })
      .option('json', { type: 'boolean', default: false, describe: 'print the summary {"queries", "measures", …, "cells": […], "tests": […]} as JSON instead of the tables' }),
  handler: async (argv) => {
    if (!(argv['batch-size'] >= 1)) throw new UsageError('--batch-size must be at least 1');
    if (!(argv['cache-mb'] >= 0)) throw new UsageError('--cache-mb must be ≥ 0');
    if (!(Number.isInteger(argv['reference-pairs']) && argv['reference-pairs'] >= 1)) throw new UsageError('--reference-pairs must be a positive integer');
    if (!Number.isSafeInteger(argv.trials) || argv.trials < 1) throw new UsageError('--trials must be a positive integer');
    // The collection and its first stage first: a missing run is said before the model loads.
    const collection = await loadCollection(argv.collection, { ...(argv.format && { format: argv.format }), ...(argv.split !== undefined && { split: argv.split }) });
    if (argv.run !== undefined) Object.assign(collection, { run: await readRun(argv.run), runSource: argv.run });
    firstStage(collection);
    const { model, dir } = await setup(argv);
    const stop = stopOnCtrlC('the cell in flight');
    try {
      const c = model.config;
      const scores: StrategyScores = {};
      if (argv.ranking !== undefined) scores.ranking = await readUnitScores(argv.ranking, c);
      if (argv['ranking-nonrel'] !== undefined) scores.nonrel = await readUnitScores(argv['ranking-nonrel'], c);
      if (argv.magnitude !== undefined) scores.magnitude = await readUnitScores(argv.magnitude, c);
      const meansFile = argv.means ?? `${argv.out}.means.json`;
      const means = await readFfnMeans(meansFile, c);
      if (means) process.stderr.write(`celens: means from ${meansFile} (${means.pairs} pairs, ${means.tokens} tokens)\n`);
      const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), { maxPositionEmbeddings: c.maxPositionEmbeddings });
      const result = await runSweep(model, tokenizer, collection, {
        unit: argv.unit,
        ...(argv.run !== undefined && { runFile: argv.run }),
        ...(argv.strategies && { strategies: argv.strategies }),
        budgets: argv.budgets.map(String),
        seeds: argv.seeds,
        ablation: argv.ablation,
        scores,
        ...(means && { means }),
        referencePairs: argv['reference-pairs'],
        topK: argv['top-k'],
        ...(argv['max-queries'] !== undefined && { maxQueries: argv['max-queries'] }),
        metrics: argv.metrics,
        relLevel: argv['rel-level'],
        batchSize: argv['batch-size'],
        activation: argv.activation,
        ...(argv['max-length'] !== undefined && { maxLength: argv['max-length'] }),
        truncation: argv.truncation,
        cacheBytes: Math.floor(argv['cache-mb'] * 1024 * 1024),
        out: argv.out,
        stop,
        onMeans: async (m) => {
          await writeFfnMeans(meansFile, m, dir);
          process.stderr.write(`celens: means over ${m.pairs} pairs (${m.tokens} tokens) written to ${meansFile}\n`);
        },
        onCell: (row, done, total) => process.stderr.write(`celens: [${done}/${total}] ${row.cell}: ${Object.entries(row.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}\n`),
      });
      for (const w of result.warnings) process.stderr.write(`celens: warning: ${w}\n`);
      const t = result.timing;
      if (t.cells > 0) {
        const share = t.work.run + t.work.skipped > 0 ? (100 * t.work.skipped) / (t.work.run + t.work.skipped) : 0;
        process.stderr.write(`celens: unpruned pass ${(t.unprunedMs / 1000).toFixed(1)} s; ${t.cells} cells in ${(t.cellsMs / 1000).toFixed(1)} s; reuse skipped ${share.toFixed(0)}% of their layer work\n`);
      }
      if (result.resumed > 0) process.stderr.write(`celens: resumed: ${result.resumed} rows were already in ${argv.out}\n`);
      if (!result.complete) process.stderr.write(`celens: stopped; rerun the same command to finish ${argv.out}\n`);
      const summary = summarizeSweep(result.rows, { trials: argv.trials, correction: argv.correction });
      if (argv.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      else process.stdout.write(formatSweepTable(result.rows) + formatSweepTests(summary));
    } finally {
      stop.release();
      disposeModel(model);
    }
  },
};
