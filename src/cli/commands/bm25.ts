/**
 * `celens bm25 --collection C --out run.txt`: a BM25 first stage for collections without one,
 * Anserini's defaults (k1 0.9, b 0.4, Porter stemming, Lucene's English stop words, Lucene's
 * one-byte length norms). `--rerank` scores only the collection's own candidates instead.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { bm25Run, buildBm25Index, BM25_DEFAULTS } from '../../ir/bm25.js';
import { COLLECTION_FORMATS } from '../../ir/collection.js';
import type { CollectionFormat } from '../../ir/collection.js';
import { loadCollection } from '../../ir/detect.js';
import { evaluate } from '../../ir/metrics/evaluate.js';
import { formatTrecEval } from '../../ir/metrics/report.js';
import { writeRun } from '../../ir/trec.js';

interface Bm25Args {
  collection: string;
  out: string;
  format: CollectionFormat | undefined;
  split: string | undefined;
  k1: number;
  b: number;
  hits: number;
  rerank: boolean;
  stem: boolean;
  stopwords: boolean;
  tag: string;
  eval: boolean;
}

export const bm25Command: CommandModule<object, Bm25Args> = {
  command: 'bm25',
  describe: 'BM25 first-stage run for a collection (Anserini defaults), written as a TREC run',
  builder: (y: Argv<object>): Argv<Bm25Args> =>
    y
      .option('collection', { type: 'string', demandOption: true, describe: 'collection folder or file (format detected)' })
      .option('out', { type: 'string', demandOption: true, describe: 'TREC run file to write' })
      .option('format', { choices: COLLECTION_FORMATS, describe: 'force the collection format' })
      .option('split', { type: 'string', describe: 'BEIR qrels split (default: test)' })
      .option('k1', { type: 'number', default: BM25_DEFAULTS.k1 })
      .option('b', { type: 'number', default: BM25_DEFAULTS.b })
      .option('hits', { type: 'number', default: BM25_DEFAULTS.hits, describe: 'documents per query' })
      .option('rerank', { type: 'boolean', default: false, describe: "score only the collection's first-stage candidates" })
      .option('stem', { type: 'boolean', default: true, describe: 'Porter stemming (--no-stem to turn off)' })
      .option('stopwords', { type: 'boolean', default: true, describe: "drop Lucene's 33 English stop words (--no-stopwords to keep them)" })
      .option('tag', { type: 'string', default: 'bm25', describe: 'run tag (last column)' })
      .option('eval', { type: 'boolean', default: false, describe: 'print nDCG@10, RR@10, AP, P@10, R@100 of the run against the collection qrels' }),
  handler: async (argv) => {
    if (!(argv.k1 >= 0) || !(argv.b >= 0 && argv.b <= 1)) throw new UsageError('--k1 must be ≥ 0 and --b in [0, 1]');
    if (!Number.isInteger(argv.hits) || argv.hits < 1) throw new UsageError('--hits must be a positive integer');
    const c = await loadCollection(argv.collection, { ...(argv.format && { format: argv.format }), ...(argv.split !== undefined && { split: argv.split }) });
    for (const w of c.warnings) process.stderr.write(`celens: warning: ${w}\n`);
    if (c.docs.size === 0) throw new UsageError(`${argv.collection}: the collection has no document texts to index`);
    if (argv.rerank && !c.run) throw new UsageError(`${argv.collection}: --rerank needs a first-stage run, and this collection has none`);
    if (c.format === 'rankllm' && !argv.rerank) process.stderr.write(`celens: warning: ${c.name} holds only the passages its first stage retrieved; BM25 statistics over them are not those of the full corpus\n`);
    const index = buildBm25Index(c.docs, { k1: argv.k1, b: argv.b, stem: argv.stem, ...(!argv.stopwords && { stopwords: new Set<string>() }) });
    const run = bm25Run(index, c.queries, { hits: argv.hits, ...(argv.rerank && c.run && { rerank: c.run }) });
    await writeRun(argv.out, run, argv.tag);
    process.stderr.write(`celens: wrote ${argv.out}: ${run.size} queries, BM25 k1=${argv.k1} b=${argv.b} over ${index.docCount} docs${argv.rerank ? ` (reranking ${c.runSource ?? 'the first stage'})` : ''}\n`);
    if (argv.eval) process.stdout.write(formatTrecEval(evaluate(c.qrels, run)));
  },
};
