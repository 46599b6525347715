/**
 * Attribution on several cores: a pool of worker threads, each with its own tfjs, backend and
 * model copy (the wasm backend runs one thread per instance in Node). Whole groups from
 * planGroups go to whichever worker is free; results are yielded in plan order, exactly as
 * attributeStream yields them, so a file written with 1 or N workers is byte-identical.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../backend/select.js';
import { CelensError } from '../errors.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import { ATTRIBUTE_DEFAULTS } from '../attribution/attribute.js';
import { planGroups, shardGroups } from '../attribution/plan.js';
import type { AttributeOptions, AttributionRecord, StreamOptions } from '../attribution/attribute.js';
import { WorkerPool } from './pool-workers.js';
import { inThisThread } from './job.js';
import type { AttributeJobStream } from './job.js';
import type { PoolHandle, PoolTask } from './pool-workers.js';
import type { PairAttribution } from '../attribution/summary.js';

export { liveWorkers } from './pool-workers.js';

export interface PoolOptions {
  /** Worker threads. @default defaultWorkers(backend): the number of cores, 1 for tensorflow(-gpu) */
  workers?: number;
  /** Backend in every worker. @default wasm, falling back to cpu (as selectBackend()) */
  backend?: BackendName | undefined;
  /**
   * Workers started earlier by startPool for the same model and backend: the stream gives its
   * groups to them instead of starting its own, and leaves closing them to whoever started them.
   */
  pool?: PoolHandle | undefined;
}

/**
 * The compiled worker script. A worker cannot run .ts, so from the sources (ts-jest, tsx) it is
 * the built dist/jobs/worker.js of this package; from compiled code, the sibling file.
 */
export function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const file = here.endsWith('.ts') ? resolve(dirname(here), '../../dist/jobs/worker.js') : join(dirname(here), 'worker.js');
  if (!existsSync(file)) throw new CelensError('the attribution worker is not built (run npm run build)', { file });
  return file;
}

/**
 * The default worker count: every core for wasm and cpu, which run one thread per instance in
 * Node; 1 for tensorflow and tensorflow-gpu, whose one instance uses every core (or the GPU) itself:
 * a worker per core would run the cores' worth of TensorFlow threads on each and load libtensorflow
 * once per worker.
 */
export function defaultWorkers(backend: BackendName | undefined): number {
  return backend === 'tensorflow' || backend === 'tensorflow-gpu' ? 1 : availableParallelism();
}

/** Worker threads for a pool: `workers`, or defaultWorkers(backend); refuses anything but an integer >= 1. */
export function poolSize(workers: number | undefined, backend?: BackendName): number {
  const n = workers ?? defaultWorkers(backend);
  if (!Number.isInteger(n) || n < 1) throw new CelensError(`workers must be an integer >= 1, got ${n}`);
  return n;
}

/**
 * Starts `workers` (default: the number of cores) worker threads on `modelDir` now, before any
 * work is known: each loads its tfjs and its model copy (≈ 2 s) while this thread reads the
 * model and the pairs. Pass it as PoolOptions.pool; close() it when the job is done.
 */
export function startPool<R = PairAttribution>(modelDir: string, opts: Omit<PoolOptions, 'pool'> = {}): WorkerPool<R> {
  return new WorkerPool<R>(workerFile(), { modelDir: resolve(modelDir), backend: opts.backend }, poolSize(opts.workers, opts.backend), []);
}

/** The groups this run computes: attributeStream's plan, a shard's share of it where one is asked for. */
function plan(pairs: readonly PairEncoding[], o: AttributeOptions): number[][] {
  return shardGroups(planGroups(pairs.map((x) => x.inputIds.length), o.pairsPerBatch ?? ATTRIBUTE_DEFAULTS.pairsPerBatch), o.shard);
}

/** Like attributeStream (same records, same order, same skip/onProgress), computed by a worker pool. */
export async function* attributeStreamParallel(
  modelDir: string,
  pairs: readonly PairEncoding[],
  o: AttributeOptions = {},
  p: PoolOptions & StreamOptions = {},
): AsyncGenerator<AttributionRecord> {
  const workers = poolSize(p.workers, p.backend);
  const skip = p.skip ?? new Set<number>();
  const groups = plan(pairs, o);
  const tasks: PoolTask[] = [];
  groups.forEach((g, group) => {
    if (!g.every((i) => skip.has(i))) tasks.push({ group, indices: g, pairs: g.map((i) => pairs[i] as PairEncoding) });
  });
  const total = groups.reduce((n, g) => n + g.length, 0);
  let done = groups.reduce((n, g) => n + g.filter((i) => skip.has(i)).length, 0);
  p.onProgress?.(done, total);
  if (tasks.length === 0) return;
  // Started only once the caller asks for the first record; no idle threads for unused streams.
  // A callback cannot cross to a worker thread (structured clone): path progress stays in this thread's runs.
  const { onPathProgress: _inThisThreadOnly, ...options } = o;
  const own = p.pool === undefined;
  const pool: PoolHandle = p.pool ?? new WorkerPool(workerFile(), { modelDir: resolve(modelDir), backend: p.backend }, Math.min(workers, tasks.length), []);
  const first = pool.push(tasks.map((t) => ({ ...t, attribute: options })));
  try {
    for (let k = 0; k < tasks.length; k++) {
      const res = (await pool.result(first + k)) as PairAttribution[];
      const { indices } = tasks[k] as PoolTask;
      for (let j = 0; j < indices.length; j++) {
        const index = indices[j] as number;
        if (skip.has(index)) continue;
        done++;
        yield { index, result: res[j] as PairAttribution };
      }
      p.onProgress?.(done, total);
    }
  } finally {
    // Runs on completion, on error and when the caller stops early (break → return()).
    if (own) await pool.close();
  }
}

/**
 * A `stream` for runAttributeJob: the pool where more than one worker would have a group to do,
 * else attributeStream on the caller's model in this thread (a worker's start — its own tfjs,
 * model copy and fresh heap pages — would cost more than it saves).
 */
export function poolStream(
  modelDir: string,
  opts: PoolOptions,
): AttributeJobStream {
  return (model, pairs, o, s) => {
    const workers = poolSize(opts.workers, opts.backend);
    const skip = s.skip ?? new Set<number>();
    const todo = plan(pairs, o).filter((g) => !g.every((i) => skip.has(i))).length;
    return Math.min(workers, todo) > 1 ? attributeStreamParallel(modelDir, pairs, o, { ...s, ...opts }) : inThisThread(model, pairs, o, s);
  };
}
