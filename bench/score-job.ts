/**
 * One scoring job, run by bench/nig.ts as a child process: N synthetic pairs of T tokens
 * (MiniLM vocabulary ids), scored the way `celens score` and `rerank` score (scoreEncodedParallel,
 * batches of 32, workers as given; the workers start first and this thread only opens the model,
 * loading weights only if it scores itself, as the CLI does). Prints `{"ms": …}`: from the job's
 * start (before the pool; after node's start and the imports) to the last score, so every model
 * load and the workers' whole start are included. (Until session 6 the clock started once this
 * thread had loaded its own copy, which hid ~1 s of the workers' start behind that load.) Also
 * prints `steadyPairsPerSec`: the rate once every worker has scored its first batch.
 *
 *   node dist-all/bench/score-job.js MODEL_DIR --pairs 256 --seq 128 --workers 2
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BACKENDS, selectBackend } from '../src/backend/select.js';
import { loadModel, openModel } from '../src/model/load.js';
import { scoreEncodedParallel } from '../src/jobs/score-parallel.js';
import { startPool } from '../src/jobs/pool.js';
import { unpad } from '../src/attribution/attribute.js';
import { syntheticBatch } from './forward.js';

const a = await yargs(hideBin(process.argv))
  .command('$0 <model>', 'score synthetic pairs')
  .option('pairs', { type: 'number', default: 256 })
  .option('seq', { type: 'number', default: 128 })
  .option('workers', { type: 'number', default: 2 })
  .option('backend', { choices: BACKENDS, default: 'wasm' as const })
  .strict()
  .parse();
const dir = String((a as { model?: unknown }).model);
const t0 = performance.now();
// As `celens score` (more than one batch) and `rerank` do: the workers start first, and this thread only opens the model.
const pool = a.workers > 1 && a.pairs > 32 ? startPool<number[]>(dir, { workers: a.workers, backend: a.backend }) : undefined;
await selectBackend(a.backend);
const model = pool ? await openModel(dir) : await loadModel(dir);
const encs = unpad(syntheticBatch(model.config, a.pairs, a.seq, 5));
// Steady state: the pairs scored after every worker finished its first batch (start-up and the
// first batch's fresh heap pages behind it), over the time they took.
const first = a.workers * 32;
let mark: { t: number; done: number } | undefined;
let last = { t: 0, done: 0 };
await scoreEncodedParallel(dir, model, encs, {
  batchSize: 32,
  onProgress: (done) => {
    const t = performance.now();
    if (mark === undefined && done >= first) mark = { t, done };
    last = { t, done };
  },
}, { workers: a.workers, backend: a.backend, pool });
const steady = mark !== undefined && last.done > mark.done ? ((last.done - mark.done) * 1000) / (last.t - mark.t) : undefined;
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, steadyPairsPerSec: steady })}\n`);
await pool?.close();
