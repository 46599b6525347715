/**
 * scoreEncoded on every core: the same length-sorted batches, each scored by whichever worker of
 * the pool (pool-workers.ts) is free, scores back in input order. The batches and
 * their padding are those of scoreEncoded, and the kernels give an element the same value
 * wherever it is computed, so the scores are identical to scoreEncoded's for any worker count.
 */
import { resolve } from 'node:path';
import { poolSize, workerFile } from './pool.js';
import type { PoolOptions } from './pool.js';
import { WorkerPool } from './pool-workers.js';
import type { PoolHandle, PoolTask } from './pool-workers.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import type { BertModel } from '../model/bert.js';
import { runnable } from '../model/load.js';
import type { OpenedModel } from '../model/load.js';
import { scoreEncoded, SCORE_DEFAULTS, scoringBatches } from '../model/score.js';
import type { ScoreOptions } from '../model/score.js';
import type { EncodedScorer } from '../model/scorer.js';

/** Like scoreEncoded; `modelDir` is the folder `model` was loaded from (each worker loads its own copy). */
export async function scoreEncodedParallel(
  modelDir: string,
  model: BertModel | OpenedModel,
  encs: readonly PairEncoding[],
  opts: ScoreOptions = {},
  pool: PoolOptions = {},
): Promise<number[][]> {
  const scorer = poolScorer(modelDir, model, pool);
  try {
    return await scorer(encs, opts);
  } finally {
    await scorer.close();
  }
}

/** An EncodedScorer whose worker pool lives until close(): one start for all the calls of a run. */
export interface PoolScorer extends EncodedScorer {
  close(): Promise<void>;
}

/**
 * makeScorer's `scoreEncoded` on a worker pool that is started at the first call with work for
 * more than one worker and kept for the next calls (rerank scores in chunks: before, every chunk
 * started its own threads and model copies), or on `pool.pool`, started earlier by the caller
 * (startPool), who also closes it. Calls run one after another. close() ends the pool it started.
 */
export function poolScorer(modelDir: string, model: BertModel | OpenedModel, pool: PoolOptions = {}): PoolScorer {
  const workers = poolSize(pool.workers, pool.backend);
  const given = pool.pool;
  let p: PoolHandle | undefined = given;
  let queue: Promise<unknown> = Promise.resolve();
  const run = async (encs: readonly PairEncoding[], opts: ScoreOptions): Promise<number[][]> => {
    const batches = scoringBatches(encs, opts.batchSize ?? SCORE_DEFAULTS.batchSize);
    // One batch, or one worker, and no pool yet: a worker's start would cost more than it saves.
    if (p === undefined && Math.min(workers, batches.length) <= 1) return scoreEncoded(await runnable(model), encs, opts);
    const score = { activation: opts.activation ?? SCORE_DEFAULTS.activation, masks: opts.masks };
    const tasks: PoolTask[] = batches.map((indices, group) => ({ group, indices, pairs: indices.map((i) => encs[i] as PairEncoding), score }));
    p ??= new WorkerPool<number[]>(workerFile(), { modelDir: resolve(modelDir), backend: pool.backend }, workers, []);
    const first = p.push(tasks);
    const out: number[][] = new Array<number[]>(encs.length);
    let done = 0;
    for (let k = 0; k < tasks.length; k++) {
      const rows = (await p.result(first + k)) as number[][];
      (batches[k] as number[]).forEach((orig, r) => {
        out[orig] = rows[r] as number[];
      });
      done += rows.length;
      opts.onProgress?.(done, encs.length);
    }
    return out;
  };
  const scorer = (encs: readonly PairEncoding[], opts: ScoreOptions): Promise<number[][]> => {
    const next = queue.then(() => run(encs, opts));
    queue = next.catch(() => undefined);
    return next;
  };
  return Object.assign(scorer, {
    close: async (): Promise<void> => {
      await queue;
      if (given === undefined) await p?.close();
    },
  });
}
