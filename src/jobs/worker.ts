/**
 * An attribution and scoring worker thread (see pool.ts): its own tfjs, backend and model copy,
 * computing whole groups (or scoring whole batches). The wasm backend is single-threaded in
 * Node, so N of these use N cores.
 * Runs from dist/ (a worker cannot load .ts); `npm run build` makes it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend/select.js';
import { loadModelForCompute } from '../model/load.js';
import type { BertModel } from '../model/bert.js';
import { padBatch } from '../tokenize/tokenizer.js';
import { attributeGroup } from '../attribution/attribute.js';
import { scoreEncoded } from '../model/score.js';
import { toWire, transferables } from './pool-protocol.js';
import type { GroupTask, WorkerInit, WorkerReply } from './pool-protocol.js';

const port = parentPort;
if (!port) throw new Error('celens attribution worker: run as a worker thread (see jobs/pool.ts)');
const init = workerData as WorkerInit;

// Load once, while the first group is on its way; a failure is reported with that group.
// Only the tensors on the backend are kept (loadModelForCompute: no float32 copies, and on wasm the
// weights go from the file straight onto the heap).
const ready = (async (): Promise<BertModel> => {
  await selectBackend(init.backend);
  return loadModelForCompute(init.modelDir);
})();
ready.catch(() => undefined);

// The pool sends one group at a time per worker, so handlers never overlap.
port.on('message', (msg: GroupTask) => {
  void (async () => {
    let reply: WorkerReply<unknown>;
    let transfer: ArrayBuffer[] = [];
    try {
      const model = await ready;
      if (msg.score !== undefined) {
        const { activation, masks } = msg.score;
        const scores = await scoreEncoded(model, msg.pairs, { batchSize: msg.pairs.length, activation, ...(masks && { masks }) });
        reply = { type: 'result', task: msg.task, results: scores } satisfies WorkerReply<number[]>;
      } else if (msg.attribute !== undefined) {
        const batch = padBatch(msg.pairs, model.config.padTokenId);
        const results = await attributeGroup(model, batch, msg.attribute);
        reply = { type: 'result', task: msg.task, results };
        transfer = transferables(results);
      } else {
        throw new Error(`task ${msg.task} says neither what to attribute nor what to score`);
      }
    } catch (e) {
      reply = { type: 'error', task: msg.task, error: toWire(e) };
    }
    try {
      port.postMessage(reply, transfer);
    } catch (e) {
      // A result that cannot be cloned or transferred is still an error the caller hears about.
      port.postMessage({ type: 'error', task: msg.task, error: toWire(e) } satisfies WorkerReply);
    }
  })();
});
