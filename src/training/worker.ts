/**
 * A data-parallel training thread (see ./parallel.ts): its own tfjs, wasm backend, copy of the
 * model and copy of the AdamW state. Per step it computes the loss and gradients of its share of
 * the groups, then applies the same combined, clipped gradients as the calling thread with the
 * same AdamW arithmetic, so that its copy stays bit-identical without weights crossing threads.
 * Runs from dist/ or dist-all/ (a worker cannot load .ts).
 */
import * as tf from '../backend/tf.js';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend/select.js';
import { parseConfig } from '../weights/config.js';
import { adamState, adamwUpdate, batchTensors, lossAndGrads, weightsChecksum } from './step.js';
import type { AdamState } from './step.js';
import { mlmLossAndGrads } from './mlm.js';
import { RowPins } from './pins.js';
import { trainableBert } from './trainable.js';
import type { TrainableBert } from './trainable.js';
import type { TrainWorkerInit, TrainWorkerReply, TrainWorkerRequest } from './parallel.js';

const port = parentPort;
if (!port) throw new Error('celens training worker: run as a worker thread (see training/parallel.ts)');
const init = workerData as TrainWorkerInit;
const frozen = new Set(init.frozen);

interface Copy {
  tb: TrainableBert;
  st: AdamState;
  pins: RowPins;
}
let model: Copy | undefined;

async function ready(): Promise<Copy> {
  await selectBackend('wasm');
  const tb = trainableBert(parseConfig(init.config), new Map(init.weights.map((t) => [t.name, { shape: t.shape, data: t.data }])));
  const st = adamState(tb.variables);
  for (const [kind, vars] of [['m', st.m], ['v', st.v]] as const) {
    for (const t of init[kind]) tf.tidy(() => (vars.get(t.name) as tf.Variable).assign(tf.tensor(t.data, t.shape)));
  }
  st.step = init.step;
  return { tb, st, pins: new RowPins(tb.variables, init.pins) };
}

function handle(msg: TrainWorkerRequest, m: Copy): { reply?: TrainWorkerReply; transfer: ArrayBuffer[] } {
  if (msg.type === 'grads') {
    const inputs = batchTensors(msg.batch);
    const { loss, grads } = msg.mlm ? mlmLossAndGrads(m.tb, inputs, msg.mlm.positions, msg.mlm.labels, frozen) : lossAndGrads(m.tb, inputs, msg.groups, init.groupSize, init.loss, frozen, msg.targets);
    tf.dispose(inputs);
    const names = [...grads.keys()];
    // dataSync on wasm copies out of the heap, so each array owns its buffer and can be moved.
    const data = [...grads.values()].map((g) => g.dataSync() as Float32Array);
    tf.dispose([...grads.values()]);
    return { reply: { type: 'grads', loss, names, data }, transfer: data.map((d) => d.buffer as ArrayBuffer) };
  }
  if (msg.type === 'update') {
    const grads = new Map(msg.names.map((n, i) => [n, tf.tensor(msg.data[i] as Float32Array, (m.tb.variables.get(n) as tf.Variable).shape)]));
    adamwUpdate(m.tb.variables, grads, m.st, msg.lr, msg.weightDecay);
    m.pins.restore(m.tb.variables);
    tf.dispose([...grads.values()]);
    return { transfer: [] };
  }
  return { reply: { type: 'checksum', step: m.st.step, checksum: weightsChecksum(m.tb.variables) }, transfer: [] };
}

// Messages are handled strictly in order (the first awaits the model, the rest queue behind it):
// an update must land before the next step's gradients are computed.
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: TrainWorkerRequest) => {
  queue = queue.then(async () => {
    try {
      model ??= await ready();
      const { reply, transfer } = handle(msg, model);
      if (reply) port.postMessage(reply, transfer);
    } catch (e) {
      port.postMessage({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies TrainWorkerReply);
    }
  });
});
