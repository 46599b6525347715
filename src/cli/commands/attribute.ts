/**
 * `celens attribute MODEL (--inputs IN.safetensors | --pairs FILE.tsv) --method nig|layer-ig …`
 * Maps flags onto AttributeOptions and calls the library. With --out, records stream into a
 * journal as they finish (resumable); safetensors output is assembled at the end.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { ATTRIBUTE_DEFAULTS, METHODS, unpad } from '../../attribution/attribute.js';
import { parseShard } from '../../attribution/plan.js';
import type { PairSource } from '../../jobs/records.js';
import { samplePairs, SAMPLE_DEFAULTS } from '../../analysis/sample.js';
import type { Negatives } from '../../analysis/sample.js';
import { loadCollection } from '../../ir/detect.js';
import { readRun } from '../../ir/trec.js';
import { COLLECTION_FORMATS } from '../../ir/collection.js';
import type { CollectionFormat } from '../../ir/collection.js';
import { scoreEncoded } from '../../model/score.js';
import type { AttributeOptions, Method } from '../../attribution/attribute.js';
import { BASELINES } from '../../attribution/baselines.js';
import type { BaselineKind } from '../../attribution/baselines.js';
import { NIG_DEFAULTS, NIG_RULES } from '../../attribution/nig.js';
import { canonicalSiteSpecs, NIG_SITES } from '../../attribution/site-specs.js';
import { LAYER_IG_RULES } from '../../attribution/quadrature.js';
import { LAYER_IG_DEFAULTS } from '../../attribution/layer-ig.js';
import { parseTarget, defaultTarget } from '../../attribution/targets.js';
import { releaseModel, runnable } from '../../model/load.js';
import type { LoadedModel, OpenedModel } from '../../model/load.js';
import { readTokenBatch } from '../../model/inputs.js';
import { loadTokenizer, readPairsTsv } from '../../tokenize/tokenizer.js';
import type { PairEncoding } from '../../tokenize/tokenizer.js';
import { modelDir, optionalMasks, setupFor, withBackend, withHub, withTokenizer, withWorkers, tokenizerDir } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs, WorkersArgs } from '../common.js';
import { progressBar } from '../progress.js';
import { stopOnCtrlC } from '../stop.js';
import { runAttributeJob } from '../../jobs/job.js';
import { poolSize, poolStream, startPool } from '../../jobs/pool.js';
import type { WorkerPool } from '../../jobs/pool-workers.js';
import { COMPLETENESS_WARN_AT, completenessWarning, printConvergence, printSummary } from '../attribute-print.js';

export interface AttributeArgs extends BackendArgs, HubArgs, TokenizerArgs, WorkersArgs {
  model: string;
  inputs: string | undefined;
  pairs: string | undefined;
  collection: string | undefined;
  run: string | undefined;
  format: CollectionFormat | undefined;
  'rel-level': number;
  'max-pairs': number | undefined;
  'per-query-max': number | undefined;
  seed: number;
  negatives: Negatives;
  'correct-only': boolean;
  shard: string | undefined;
  method: Method;
  site: string[] | undefined;
  baseline: BaselineKind;
  target: string | undefined;
  steps: number | undefined;
  rule: string | undefined;
  chunk: number;
  'pairs-per-batch': number;
  'per-token': boolean;
  'unk-id': number | undefined;
  layers: number[] | undefined;
  mask: string | undefined;
  out: string | undefined;
  convergence: string | undefined;
  top: number;
}

export const attributeCommand: CommandModule<object, AttributeArgs> = {
  command: 'attribute <model>',
  describe: 'Neuron Integrated Gradients (or layer IG) for every FFN neuron of every layer',
  builder: (y: Argv<object>): Argv<AttributeArgs> =>
    withWorkers(withBackend(
      withTokenizer(withHub(y))
        .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
        .option('inputs', { type: 'string', describe: 'safetensors with input_ids, attention_mask, token_type_ids' })
        .option('pairs', { type: 'string', describe: 'TSV file: query<TAB>passage per line' })
        .option('collection', { type: 'string', describe: 'sample judged pairs from a collection (folder or file; see celens eval)' })
        .option('format', { choices: COLLECTION_FORMATS, describe: 'collection format (default: detected)' })
        .option('run', { type: 'string', describe: "collection: first-stage TREC run for unjudged negatives (default: the collection's own; celens bm25 makes one)" })
        .option('rel-level', { type: 'number', default: SAMPLE_DEFAULTS.relLevel, describe: 'collection: relevant means grade >= this' })
        .option('max-pairs', { type: 'number', describe: 'collection: at most this many pairs, half relevant, half not' })
        .option('per-query-max', { type: 'number', describe: 'collection: at most N relevant and N non-relevant pairs per query, taken query by query so --max-pairs spreads over queries (default: no limit)' })
        .option('seed', { type: 'number', default: SAMPLE_DEFAULTS.seed, describe: 'collection: sampling seed' })
        .option('negatives', { choices: ['judged', 'unjudged', 'both'] as const, default: SAMPLE_DEFAULTS.negatives as Negatives, describe: 'collection: non-relevant pairs from judgements, unjudged first-stage candidates, or both' })
        .option('correct-only', { type: 'boolean', default: false, describe: 'collection: keep only pairs the model classifies correctly (logit > 0 for relevant)' })
        .option('shard', { type: 'string', describe: 'i/N: compute every N-th group starting at i (array jobs); combine with celens merge' })
        .option('method', { choices: METHODS, default: ATTRIBUTE_DEFAULTS.method as Method })
        .option('site', {
          type: 'string',
          array: true,
          describe: `site kind in every layer (${NIG_SITES.join(', ')}), or site names and globs as forward --capture takes them (layer.3.ffn.pre, 'layer.*.ffn.post'); repeatable. nig reads every chosen site in one pass per α chunk (every layer's out too, for completeness), so fewer layers are hardly faster; layer-ig runs only the chosen layers. Default ffn.pre for nig, ffn.post for layer-ig`,
        })
        .option('baseline', { choices: BASELINES, default: NIG_DEFAULTS.baseline as BaselineKind, describe: 'NIG baseline: padq = query tokens → [PAD]' })
        .option('target', { type: 'string', describe: 'logit | prob | class:N (default: logit for 1-label models, class:1 otherwise)' })
        .option('steps', { type: 'number', describe: `path points m (NIG: α = k/(m−1), both ends included; default ${NIG_DEFAULTS.steps}); layer-ig default ${LAYER_IG_DEFAULTS.steps}` })
        .option('rule', {
          type: 'string',
          describe: `NIG: ${NIG_RULES.join('|')} (default ${NIG_DEFAULTS.rule}, second order; --rule right is the authors'; the former default, --rule right --steps 20, leaves errors above 10% on the embedded model); layer-ig: ${LAYER_IG_RULES.join('|')} (default ${LAYER_IG_DEFAULTS.rule}). A warning says how many pairs miss F(x) − F(x′) by more than ${100 * COMPLETENESS_WARN_AT}%`,
        })
        .option('chunk', { type: 'number', default: ATTRIBUTE_DEFAULTS.chunk, describe: 'α points per forward/backward pass' })
        .option('pairs-per-batch', { type: 'number', default: ATTRIBUTE_DEFAULTS.pairsPerBatch, describe: 'pairs of similar length per group (the unit of work, resume and parallelism)' })
        .option('per-token', { type: 'boolean', default: ATTRIBUTE_DEFAULTS.perToken, describe: 'also output per-token attributions' })
        .option('unk-id', { type: 'number', describe: '[UNK] id for unk baselines (default: from the tokenizer files)' })
        .option('layers', { type: 'number', array: true, describe: 'layer-ig: layers to attribute (default all)' })
        .option('mask', { type: 'string', describe: 'mask JSON applied while attributing' })
        .option('out', { type: 'string', describe: 'OUT.safetensors or OUT.jsonl (resumable); without it a summary is printed' })
        .option('convergence', { type: 'string', describe: 'comma-separated step counts: print the completeness error against m' })
        .option('top', { type: 'number', default: 5, describe: 'neurons per layer in the printed summary' })
        .conflicts('inputs', ['pairs', 'collection'])
        .conflicts('pairs', 'collection'),
    )),
  handler: async (argv) => {
    if ([argv.inputs, argv.pairs, argv.collection].filter((v) => v !== undefined).length !== 1) {
      throw new UsageError('give exactly one of --inputs IN.safetensors, --pairs FILE.tsv or --collection C');
    }
    const perQueryMax = argv['per-query-max'];
    if (perQueryMax !== undefined && (!Number.isInteger(perQueryMax) || perQueryMax < 1)) throw new UsageError('--per-query-max must be an integer >= 1');
    if (perQueryMax !== undefined && argv.collection === undefined) throw new UsageError('--per-query-max samples pairs from a --collection');
    for (const [flag, v, min] of [['--steps', argv.steps, 2], ['--chunk', argv.chunk, 1], ['--pairs-per-batch', argv['pairs-per-batch'], 1], ['--workers', argv.workers, 1]] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`${flag} must be an integer >= ${min}`);
    }
    const rules: readonly string[] = argv.method === 'nig' ? NIG_RULES : LAYER_IG_RULES;
    if (argv.rule !== undefined && !rules.includes(argv.rule)) throw new UsageError(`--rule ${argv.rule} is not a ${argv.method} rule (${rules.join(', ')})`);
    const dir = await modelDir(argv);
    // The worker threads start now and load their model copies while this thread reads the pairs
    // (a worker's start is ≈ 2 s); this thread loads weights only if it computes after all (one group).
    const pool = poolSize(argv.workers) > 1 && argv.convergence === undefined ? startPool(dir, { workers: argv.workers, backend: argv.backend }) : undefined;
    try {
      await attribute(argv, dir, pool);
    } finally {
      await pool?.close();
    }
  },
};

async function attribute(argv: AttributeArgs, resolved: string, pool: WorkerPool | undefined): Promise<void> {
  const { model, dir } = await setupFor(argv, resolved, pool !== undefined);
  try {
    // Validated first (a SiteError before any work), and written in one form: `ffn.pre` and
    // `layer.*.ffn.pre` give the same job header, so either resumes the other.
    const sites = argv.site && canonicalSiteSpecs(argv.site, model.config);
    const { pairs, ids, sources } = await readPairs(argv, model, dir);
    const unkId = argv['unk-id'] ?? (argv.baseline.startsWith('unk') ? (await loadTokenizer(tokenizerDir(argv, dir))).unkId : undefined);
    const masks = await optionalMasks(argv.mask, model);
    const options: AttributeOptions = {
      method: argv.method,
      ...(sites && { sites }),
      baseline: argv.baseline,
      target: argv.target !== undefined ? parseTarget(argv.target, model.config) : defaultTarget(model.config),
      ...(argv.steps !== undefined && { steps: argv.steps }),
      ...(argv.rule !== undefined && { rule: argv.rule as AttributeOptions['rule'] }),
      chunk: argv.chunk,
      pairsPerBatch: argv['pairs-per-batch'],
      perToken: argv['per-token'],
      ...(unkId !== undefined && { unkId }),
      ...(argv.layers && { layers: argv.layers }),
      ...(masks && { masks }),
      ...(argv.shard !== undefined && { shard: parseShard(argv.shard) }),
    };
    if (argv.convergence !== undefined) {
      await printConvergence(await runnable(model), pairs, options, argv.convergence);
      return;
    }
    // A thread pool computes the groups where more than one worker has work (pool.ts); the records are identical.
    const stream = poolStream(dir, { workers: argv.workers, backend: argv.backend, pool });
    const bar = progressBar('attribute');
    const stop = stopOnCtrlC('the pair in flight');
    try {
      // With --out the records are in the file: memory stays flat over any number of pairs.
      const job = await runAttributeJob({ model, pairs, ids, ...(sources && { sources }), options, out: argv.out, keepResults: argv.out === undefined, stop, onProgress: (d, t) => bar.update(d, t), stream });
      bar.stop();
      if (!job.complete) {
        process.stderr.write(`celens: interrupted; ${argv.out ? `finished records are in ${argv.out.endsWith('.jsonl') ? argv.out : `${argv.out}.partial.jsonl`}; rerun the same command to resume` : 'nothing was saved (no --out)'}\n`);
        process.exitCode = 130;
        return;
      }
      if (job.resumedFrom > 0) process.stderr.write(`celens: resumed: ${job.resumedFrom} of ${pairs.length} pairs were already done\n`);
      if (argv.out !== undefined) process.stderr.write(`celens: wrote ${job.done} of ${pairs.length} pairs to ${argv.out}${argv.shard ? ` (shard ${argv.shard})` : ''}\n`);
      else printSummary(job.results, ids, model.config, argv.top);
      const warning = completenessWarning(job.completenessRelative.map((c) => c && { completenessRelative: c }), ids);
      if (warning !== undefined) process.stderr.write(`celens: ${warning}\n`);
    } finally {
      stop.release();
      bar.stop();
    }
  } finally {
    await releaseModel(model);
  }
}

async function readPairs(argv: AttributeArgs, model: LoadedModel | OpenedModel, dir: string): Promise<{ pairs: PairEncoding[]; ids: string[]; sources?: PairSource[] }> {
  if (argv.inputs !== undefined) {
    const pairs = unpad(await readTokenBatch(argv.inputs));
    return { pairs, ids: pairs.map((_p, i) => String(i)) };
  }
  const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
  if (argv.pairs !== undefined) {
    const texts = await readPairsTsv(argv.pairs);
    return { pairs: await tokenizer.encodePairs(texts), ids: texts.map((_p, i) => String(i + 1)) };
  }
  const collection = await loadCollection(argv.collection as string, argv.format ? { format: argv.format } : {});
  if (argv.run !== undefined) {
    collection.run = await readRun(argv.run);
    collection.runSource = argv.run;
  }
  const { pairs: sampled, warnings } = samplePairs(collection, {
    relLevel: argv['rel-level'],
    seed: argv.seed,
    negatives: argv.negatives,
    ...(argv['max-pairs'] !== undefined && { maxPairs: argv['max-pairs'] }),
    ...(argv['per-query-max'] !== undefined && { perQueryMax: argv['per-query-max'] }),
  });
  for (const w of warnings) process.stderr.write(`celens: ${w}\n`);
  let kept = sampled;
  let encs = await tokenizer.encodePairs(sampled.map((p) => [p.query, p.passage] as const));
  if (argv['correct-only']) {
    const scores = await scoreEncoded(await runnable(model), encs);
    const ok = sampled.map((p, i) => isCorrect(p.relevant, scores[i] as number[]));
    kept = sampled.filter((_p, i) => ok[i]);
    encs = encs.filter((_e, i) => ok[i]);
    process.stderr.write(`celens: --correct-only kept ${kept.length} of ${sampled.length} pairs\n`);
  }
  process.stderr.write(`celens: ${kept.length} pairs from ${collection.name} (${kept.filter((p) => p.relevant).length} relevant)\n`);
  return {
    pairs: encs,
    ids: kept.map((p) => `${p.qid}/${p.docid}`),
    sources: kept.map((p) => ({ dataset: p.dataset, qid: p.qid, docid: p.docid, grade: p.grade, relevant: p.relevant })),
  };
}

/** A 1-logit head calls a pair relevant when its logit is > 0 (sigmoid > ½); a multi-label head when class 1 wins. */
function isCorrect(relevant: boolean, scores: number[]): boolean {
  const saysRelevant = scores.length === 1 ? (scores[0] as number) > 0 : (scores[1] as number) >= Math.max(...scores);
  return saysRelevant === relevant;
}
