/**
 * `celens rank MODEL --query Q (--passage P … | --passages FILE | stdin)`: sentence-transformers'
 * CrossEncoder.rank. Scores every passage against one query with the model's relevance score
 * (relevance.ts) and prints them best first: rank, index (0-based, the passage's position in the
 * input, as `corpus_id`), score and text; `--json` prints the same as an array of objects.
 */
import type { Argv, CommandModule } from 'yargs';
import { CelensError, UsageError } from '../../errors.js';
import { errnoCode, readText } from '../../formats/files.js';
import { disposeModel } from '../../model/load.js';
import { ACTIVATIONS, describeRule, relevanceRule } from '../../model/relevance.js';
import type { Activation } from '../../model/relevance.js';
import { makeScorer } from '../../model/scorer.js';
import { poolScorer } from '../../jobs/score-parallel.js';
import { SCORE_DEFAULTS } from '../../model/score.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import type { Truncation } from '../../tokenize/tokenizer.js';
import { progressBar } from '../progress.js';
import { checkWorkers, setup, withBackend, withHub, withTokenizer, withWorkers, tokenizerDir } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs, WorkersArgs } from '../common.js';

interface RankArgs extends BackendArgs, HubArgs, TokenizerArgs, WorkersArgs {
  model: string;
  query: string;
  passage: string[] | undefined;
  passages: string | undefined;
  'top-k': number | undefined;
  json: boolean;
  'batch-size': number;
  activation: Activation | undefined;
  'max-length': number | undefined;
  truncation: Truncation;
}

export interface Ranked {
  rank: number;
  index: number;
  score: number;
  text: string;
}

export const rankCommand: CommandModule<object, RankArgs> = {
  command: 'rank <model>',
  describe: 'rank passages for one query, best first (as CrossEncoder.rank)',
  builder: (y: Argv<object>): Argv<RankArgs> =>
    withWorkers(withBackend(
      withTokenizer(withHub(y))
        .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (downloaded with celens download)' })
        .option('query', { type: 'string', demandOption: true, describe: 'the query' })
        .option('passage', { type: 'string', array: true, describe: 'a passage (repeatable)' })
        .option('passages', { type: 'string', describe: 'file with one passage per line, - for stdin (default: stdin when it is not a terminal)' })
        .option('top-k', { type: 'number', describe: 'print only the best k (sentence-transformers\' top_k)' })
        .option('json', { type: 'boolean', default: false, describe: 'print a JSON array of {rank, index, score, text}' })
        .option('batch-size', { type: 'number', default: SCORE_DEFAULTS.batchSize, describe: 'pairs per forward pass (sorted by length)' })
        .option('activation', { choices: ACTIVATIONS, describe: "applied to the logits (default: the model's relevance rule, see celens inspect)" })
        .option('max-length', { type: 'number', describe: "tokens per pair incl. specials (default: the model's, at most 512)" })
        .option('truncation', { choices: ['longest_first', 'only_second'] as const, default: 'longest_first' as Truncation })
        .conflicts('passage', 'passages'),
    )),
  handler: async (argv) => {
    if (argv['top-k'] !== undefined && !(Number.isInteger(argv['top-k']) && argv['top-k'] >= 1)) throw new UsageError('--top-k must be a positive integer');
    if (!(argv['batch-size'] >= 1)) throw new UsageError('--batch-size must be at least 1');
    checkWorkers(argv.workers);
    const passages = await readPassages(argv);
    const { model, dir } = await setup(argv);
    const bar = progressBar('rank');
    const encoded = poolScorer(dir, model, { workers: argv.workers, backend: argv.backend });
    try {
      const rule = relevanceRule(model.config, argv.activation);
      const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
      const scorer = makeScorer(model, tokenizer, {
        batchSize: argv['batch-size'],
        activation: rule.activation,
        truncation: argv.truncation,
        ...(argv['max-length'] !== undefined && { maxLength: argv['max-length'] }),
        scoreEncoded: encoded,
      });
      const scores = await scorer(passages.map((p) => [argv.query, p] as const), (d, t) => bar.update(d, t));
      bar.stop();
      const ranked = rankScores(scores, passages).slice(0, argv['top-k'] ?? passages.length);
      process.stderr.write(`celens: score = ${describeRule(rule, model.config.numLabels)}\n`);
      if (argv.json) process.stdout.write(`${JSON.stringify(ranked, null, 2)}\n`);
      else process.stdout.write(ranked.map((r) => `${r.rank}\t${r.index}\t${r.score}\t${r.text}`).join('\n') + '\n');
    } finally {
      bar.stop();
      await encoded.close();
      disposeModel(model);
    }
  },
};

/** Best first; equal scores keep input order (a stable order, as Python's sorted is). */
export function rankScores(scores: readonly number[], texts: readonly string[]): Ranked[] {
  return scores
    .map((score, index) => ({ score, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map(({ score, index }, k) => ({ rank: k + 1, index, score, text: texts[index] as string }));
}

async function readPassages(argv: RankArgs): Promise<string[]> {
  if (argv.passage !== undefined) {
    if (argv.passage.length === 0) throw new UsageError('give at least one --passage');
    return argv.passage;
  }
  const file = argv.passages ?? (process.stdin.isTTY ? undefined : '-');
  if (file === undefined) throw new UsageError('give passages: --passage P (repeatable), --passages FILE, or pipe them on stdin, one per line');
  const name = file === '-' ? '<stdin>' : file;
  const text = file === '-' ? await readStdin() : await readText(file, { what: 'passages' });
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const blank = lines.findIndex((l) => l.trim() === '');
  if (blank >= 0) throw new CelensError('an empty passage: one passage per line, no blank lines', { file: name, line: blank + 1 });
  if (lines.length === 0) throw new CelensError('no passages', { file: name });
  return lines;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of process.stdin) chunks.push(c as Buffer);
  } catch (e) {
    throw new CelensError(`cannot read passages (${errnoCode(e)})`, { file: '<stdin>' });
  }
  return Buffer.concat(chunks).toString('utf8');
}
