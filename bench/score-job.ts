/**
 * One scoring job, run by bench/nig.ts as a child process: N synthetic pairs of T tokens
 * (MiniLM vocabulary ids), scored the way `celens score` and `rerank` score (scoreEncodedParallel,
 * batches of 32, workers as given). Prints `{"ms": …}` (model load excluded, worker start included).
 *
 *   node dist-all/bench/score-job.js MODEL_DIR --pairs 256 --seq 128 --workers 2
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { selectBackend } from '../src/backend/select.js';
import { loadModel } from '../src/model/load.js';
import { scoreEncodedParallel } from '../src/jobs/score-parallel.js';
import { unpad } from '../src/attribution/attribute.js';
import { syntheticBatch } from './forward.js';

const a = await yargs(hideBin(process.argv))
  .command('$0 <model>', 'score synthetic pairs')
  .option('pairs', { type: 'number', default: 256 })
  .option('seq', { type: 'number', default: 128 })
  .option('workers', { type: 'number', default: 2 })
  .strict()
  .parse();
const dir = String((a as { model?: unknown }).model);
await selectBackend('wasm');
const model = await loadModel(dir);
const encs = unpad(syntheticBatch(model.config, a.pairs, a.seq, 5));
const t0 = performance.now();
await scoreEncodedParallel(dir, model, encs, { batchSize: 32 }, { workers: a.workers, backend: 'wasm' });
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
