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
import type { PoolTask } from './pool-workers.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import type { BertModel } from '../model/bert.js';
import { scoreEncoded, SCORE_DEFAULTS, scoringBatches } from '../model/score.js';
import type { ScoreOptions } from '../model/score.js';
import type { EncodedScorer } from '../model/scorer.js';

/** Like scoreEncoded; `modelDir` is the folder `model` was loaded from (each worker loads its own copy). */
export async function scoreEncodedParallel(
  modelDir: string,
  model: BertModel,
  encs: readonly PairEncoding[],
  opts: ScoreOptions = {},
  pool: PoolOptions = {},
): Promise<number[][]> {
  const workers = poolSize(pool.workers);
  const batches = scoringBatches(encs, opts.batchSize ?? SCORE_DEFAULTS.batchSize);
  // One batch, or one worker: a worker's start would cost more than it saves.
  if (Math.min(workers, batches.length) <= 1) return scoreEncoded(model, encs, opts);
  const score = { activation: opts.activation ?? SCORE_DEFAULTS.activation, masks: opts.masks };
  const tasks: PoolTask[] = batches.map((indices, group) => ({ group, indices, pairs: indices.map((i) => encs[i] as PairEncoding), score }));
  const p = new WorkerPool<number[]>(workerFile(), { modelDir: resolve(modelDir), backend: pool.backend, options: {} }, Math.min(workers, tasks.length), tasks);
  const out: number[][] = new Array<number[]>(encs.length);
  let done = 0;
  try {
    for (let k = 0; k < tasks.length; k++) {
      const rows = await p.result(k);
      (batches[k] as number[]).forEach((orig, r) => {
        out[orig] = rows[r] as number[];
      });
      done += rows.length;
      opts.onProgress?.(done, encs.length);
    }
  } finally {
    await p.close();
  }
  return out;
}

/** makeScorer's `scoreEncoded` for a worker pool: scoreEncodedParallel on `model`, loaded from `modelDir`. */
export function poolScorer(modelDir: string, model: BertModel, pool: PoolOptions = {}): EncodedScorer {
  return (encs, opts) => scoreEncodedParallel(modelDir, model, encs, opts, pool);
}
