/**
 * `celens score MODEL --query Q --passage P [--passage P2 …]` or `--pairs FILE.tsv`: cross-encoder
 * scores, one line per pair in input order (tab-separated values for multi-label heads), after the
 * model's activation as sentence-transformers' CrossEncoder.predict applies it (relevance.ts).
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { releaseModel } from '../../model/load.js';
import { SCORE_DEFAULTS } from '../../model/score.js';
import { scoreEncodedParallel } from '../../jobs/score-parallel.js';
import { poolSize, startPool } from '../../jobs/pool.js';
import type { WorkerPool } from '../../jobs/pool-workers.js';
import { ACTIVATIONS, describeRule, relevanceRule } from '../../model/relevance.js';
import type { Activation } from '../../model/relevance.js';
import { loadTokenizer, readPairsTsv } from '../../tokenize/tokenizer.js';
import type { Truncation } from '../../tokenize/tokenizer.js';
import { progressBar } from '../progress.js';
import { checkWorkers, modelDir, optionalMasks, setupFor, withBackend, withHub, withTokenizer, withWorkers, tokenizerDir } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs, WorkersArgs } from '../common.js';

interface ScoreArgs extends BackendArgs, HubArgs, TokenizerArgs, WorkersArgs {
  model: string;
  query: string | undefined;
  passage: string[] | undefined;
  pairs: string | undefined;
  'batch-size': number;
  activation: Activation | undefined;
  'max-length': number | undefined;
  truncation: Truncation;
  mask: string | undefined;
}

export const scoreCommand: CommandModule<object, ScoreArgs> = {
  command: 'score <model>',
  describe: 'score (query, passage) pairs with the cross-encoder',
  builder: (y: Argv<object>): Argv<ScoreArgs> =>
    withWorkers(withBackend(
      withTokenizer(withHub(y))
        .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
        .option('query', { type: 'string', describe: 'the query' })
        .option('passage', { type: 'string', array: true, describe: 'a passage to score against --query (repeatable)' })
        .option('pairs', { type: 'string', describe: 'TSV file, query<TAB>passage per line' })
        .option('batch-size', { type: 'number', default: SCORE_DEFAULTS.batchSize, describe: 'pairs per forward pass (sorted by length)' })
        .option('activation', { choices: ACTIVATIONS, describe: "applied to the logits (default: the model's, as sentence-transformers: config.json's activation, else sigmoid for 1 label, softmax for more; see celens inspect)" })
        .option('max-length', { type: 'number', describe: 'tokens per pair incl. specials (default: the model\'s, at most 512)' })
        .option('truncation', { choices: ['longest_first', 'only_second'] as const, default: 'longest_first' as Truncation })
        .option('mask', { type: 'string', describe: 'mask JSON, e.g. {"layer.0.ffn": [1, 5]}' })
        .conflicts('pairs', ['query', 'passage']),
    )),
  handler: async (argv) => {
    let pairs: Array<[string, string]>;
    if (argv.pairs !== undefined) pairs = await readPairsTsv(argv.pairs);
    else if (argv.query !== undefined && argv.passage && argv.passage.length > 0) pairs = argv.passage.map((p) => [argv.query as string, p]);
    else throw new UsageError('give --query with one or more --passage, or --pairs FILE.tsv');
    if (!(argv['batch-size'] >= 1)) throw new UsageError('--batch-size must be at least 1');
    checkWorkers(argv.workers);
    const dir = await modelDir(argv);
    // More than one batch for more than one worker: the workers start loading now (this thread reads no weights then).
    const pool = poolSize(argv.workers) > 1 && pairs.length > argv['batch-size'] ? startPool<number[]>(dir, { workers: argv.workers, backend: argv.backend }) : undefined;
    try {
      await score(argv, pairs, dir, pool);
    } finally {
      await pool?.close();
    }
  },
};

async function score(argv: ScoreArgs, pairs: Array<[string, string]>, resolved: string, pool: WorkerPool<number[]> | undefined): Promise<void> {
  const { model, dir } = await setupFor(argv, resolved, pool !== undefined);
  const bar = progressBar('score');
  try {
    const rule = relevanceRule(model.config, argv.activation);
    // Every output is printed; the relevance score (rank, rerank) is one of them: say both.
    process.stderr.write(`celens: outputs: ${rule.activation === 'none' ? 'raw logits' : rule.activation} (${rule.from}); relevance score: ${describeRule(rule, model.config.numLabels)}\n`);
    const masks = await optionalMasks(argv.mask, model);
    const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
    const encs = await tokenizer.encodePairs(pairs, { ...(argv['max-length'] !== undefined && { maxLength: argv['max-length'] }), truncation: argv.truncation });
    const scores = await scoreEncodedParallel(dir, model, encs, {
      batchSize: argv['batch-size'],
      activation: rule.activation,
      ...(masks && { masks }),
      onProgress: (d, t) => bar.update(d, t),
    }, { workers: argv.workers, backend: argv.backend, pool });
    bar.stop();
    process.stdout.write(scores.map((s) => s.map((v) => String(v)).join('\t')).join('\n') + '\n');
  } finally {
    bar.stop();
    await releaseModel(model);
  }
}
