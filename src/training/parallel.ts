/**
 * Data-parallel training on worker threads (the wasm backend is single-threaded in Node, so a
 * second core needs a second thread with its own tfjs). The calling thread computes one share of
 * each step's groups and every worker one more; the caller combines the gradients
 * (step.ts: combineShares), clips, and sends the final gradients back so that each worker applies
 * the same AdamW update to its own copy. Only gradients cross threads, as transferred buffers.
 */
import * as tf from '../backend/tf.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TokenBatch } from '../tokenize/encode.js';
import type { TensorToWrite } from '../weights/safetensors-write.js';
import type { PinnedRows } from './pins.js';
import type { AdamState, Loss } from './step.js';
import { stateDictOf } from './trainable.js';

interface NamedArray {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface TrainWorkerInit {
  /** The model's config.json, parsed again by the worker. */
  config: Record<string, unknown>;
  /** Weights in HF layout (stateDictOf), AdamW moments in variable layout, and AdamW's step. */
  weights: NamedArray[];
  m: NamedArray[];
  v: NamedArray[];
  step: number;
  frozen: string[];
  /** Rows put back after every update (./pins.ts), as the calling thread does. */
  pins: PinnedRows[];
  loss: Loss;
  groupSize: number;
}

export type TrainWorkerRequest =
  | { type: 'grads'; batch: TokenBatch; groups: number; targets?: Float32Array; mlm?: MlmTargets }
  | { type: 'update'; names: string[]; data: Float32Array[]; lr: number; weightDecay: number }
  | { type: 'checksum' };

/** Masked-LM targets of a batch (./mlm.ts maskBatch): flat positions and their original ids. */
export interface MlmTargets {
  positions: Int32Array;
  labels: Int32Array;
}

export type TrainWorkerReply =
  | { type: 'grads'; loss: number; names: string[]; data: Float32Array[] }
  | { type: 'checksum'; step: number; checksum: number }
  | { type: 'error'; message: string };

/** The built worker: from the TypeScript sources (jest), dist/ of this package; compiled, the sibling file. */
export function trainWorkerFile(): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? resolve(dirname(here), '../../dist/training/worker.js') : join(dirname(here), 'worker.js');
}

interface Slot {
  worker: Worker;
  /** Replies not yet taken, and callers waiting for one (each request has at most one reply). */
  replies: TrainWorkerReply[];
  waiting: Array<{ resolve: (r: TrainWorkerReply) => void; reject: (e: Error) => void }>;
}

function named(vars: ReadonlyMap<string, tf.Variable>): NamedArray[] {
  return [...vars].map(([name, x]) => ({ name, shape: [...x.shape], data: x.dataSync() as Float32Array }));
}

export class TrainWorkers {
  private readonly slots: Slot[] = [];
  private failure: Error | undefined;

  /** Starts `count` workers, each with a copy of the weights and the optimiser state as they are now. */
  constructor(count: number, config: Record<string, unknown>, vars: ReadonlyMap<string, tf.Variable>, st: AdamState, o: { frozen: ReadonlySet<string>; pins?: readonly PinnedRows[]; loss: Loss; groupSize: number }) {
    const weights = [...stateDictOf(vars)].map(([name, t]: [string, TensorToWrite]) => ({ name, shape: [...t.shape], data: t.data as Float32Array }));
    const init: TrainWorkerInit = { config, weights, m: named(st.m), v: named(st.v), step: st.step, frozen: [...o.frozen], pins: [...(o.pins ?? [])], loss: o.loss, groupSize: o.groupSize };
    for (let i = 0; i < count; i++) {
      const slot: Slot = { worker: new Worker(trainWorkerFile(), { workerData: init }), replies: [], waiting: [] };
      slot.worker.on('message', (r: TrainWorkerReply) => {
        if (r.type === 'error') return this.fail(new Error(`training worker ${i + 1}: ${r.message}`));
        const w = slot.waiting.shift();
        if (w) w.resolve(r);
        else slot.replies.push(r);
      });
      slot.worker.on('error', (e: Error) => this.fail(new Error(`training worker ${i + 1} failed: ${e.message}`)));
      slot.worker.on('exit', (code) => this.fail(new Error(`training worker ${i + 1} exited with code ${code}`)));
      this.slots.push(slot);
    }
  }

  get count(): number {
    return this.slots.length;
  }

  /**
   * Worker i computes the loss and gradients of `groups` groups (against `targets` when given), or
   * with `mlm` the masked-LM loss of the batch's masked tokens; the buffers move to it.
   */
  startGrads(i: number, batch: TokenBatch, groups: number, targets?: Float32Array, mlm?: MlmTargets): void {
    const msg: TrainWorkerRequest = { type: 'grads', batch, groups, ...(targets && { targets }), ...(mlm && { mlm }) };
    const extra = [...(targets ? [targets.buffer] : []), ...(mlm ? [mlm.positions.buffer, mlm.labels.buffer] : [])];
    this.post(i, msg, [batch.inputIds.buffer, batch.tokenTypeIds.buffer, batch.attentionMask.buffer, ...extra] as ArrayBuffer[]);
  }

  /** Worker i's reply to startGrads, as tensors (the caller disposes them). */
  async grads(i: number, vars: ReadonlyMap<string, tf.Variable>): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
    const r = await this.reply(i, 'grads');
    if (r.type !== 'grads') throw new Error('unreachable');
    return { loss: r.loss, grads: new Map(r.names.map((n, k) => [n, tf.tensor(r.data[k] as Float32Array, (vars.get(n) as tf.Variable).shape)])) };
  }

  /**
   * Sends every worker the step's final (combined, clipped) gradients to apply with AdamW. Each
   * worker gets its own copy read from the tensors the caller applies, so all copies see the
   * same bits; the copies are transferred, not cloned.
   */
  update(grads: ReadonlyMap<string, tf.Tensor>, lr: number, weightDecay: number): void {
    const names = [...grads.keys()];
    for (let i = 0; i < this.slots.length; i++) {
      const data = [...grads.values()].map((g) => g.dataSync() as Float32Array);
      this.post(i, { type: 'update', names, data, lr, weightDecay }, data.map((d) => d.buffer as ArrayBuffer));
    }
  }

  /** Every worker's weights checksum (step.ts: weightsChecksum) and AdamW step, in worker order. */
  async checksums(): Promise<Array<{ step: number; checksum: number }>> {
    for (let i = 0; i < this.slots.length; i++) this.post(i, { type: 'checksum' }, []);
    const out: Array<{ step: number; checksum: number }> = [];
    for (let i = 0; i < this.slots.length; i++) {
      const r = await this.reply(i, 'checksum');
      if (r.type === 'checksum') out.push({ step: r.step, checksum: r.checksum });
    }
    return out;
  }

  /** Terminates every worker and waits for them to exit. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const s of slots) s.worker.removeAllListeners('exit');
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private post(i: number, msg: TrainWorkerRequest, transfer: ArrayBuffer[]): void {
    if (this.failure) throw this.failure;
    (this.slots[i] as Slot).worker.postMessage(msg, transfer);
  }

  private reply(i: number, type: TrainWorkerReply['type']): Promise<TrainWorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    const slot = this.slots[i] as Slot;
    const take = (r: TrainWorkerReply): TrainWorkerReply => {
      if (r.type !== type) throw new Error(`training worker ${i + 1}: expected a ${type} reply, got ${r.type}`);
      return r;
    };
    const r = slot.replies.shift();
    if (r) return Promise.resolve(take(r));
    return new Promise((resolve, reject) => {
      slot.waiting.push({
        resolve: (x) => {
          try {
            resolve(take(x));
          } catch (e) {
            reject(e as Error);
          }
        },
        reject,
      });
    });
  }

  /** The first failure wins: every waiting caller hears it, and later calls throw it. */
  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const s of this.slots) for (const w of s.waiting.splice(0)) w.reject(e);
  }
}
