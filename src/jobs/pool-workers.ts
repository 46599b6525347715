/**
 * The thread side of the attribution pool: N workers, a list of groups handed out one at a time
 * to whichever worker is free, and results collected by task number so the caller can take them
 * in plan order. The first failure (an error reply, a crash) stops everything; close() always
 * terminates every thread, so none is left to keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { CelensError } from '../errors.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import type { AttributeOptions } from '../attribution/attribute.js';
import { fromWire } from './pool-protocol.js';
import type { GroupTask, WorkerInit, WorkerReply } from './pool-protocol.js';
import type { PairAttribution } from '../attribution/summary.js';

export interface PoolTask {
  /** Attribute the pairs (one group) with these options, or */
  attribute?: AttributeOptions;
  /** score them (one batch). */
  score?: GroupTask['score'];
  /** Index in the plan (planGroups), for error messages. */
  group: number;
  indices: readonly number[];
  pairs: PairEncoding[];
}

interface Slot {
  worker: Worker;
  /** Task in flight, if any. */
  task: number | undefined;
  exited: Promise<void>;
}

let live = 0;
/** Worker threads started by any pool and not yet exited (tests check it returns to 0). */
export function liveWorkers(): number {
  return live;
}

/** What a job needs of a pool it did not start (its results are the job's to type). */
export type PoolHandle = Pick<WorkerPool<unknown>, 'push' | 'result' | 'close'>;

export class WorkerPool<R = PairAttribution> {
  private readonly slots: Slot[] = [];
  private readonly done = new Map<number, R[]>();
  private next = 0;
  private wanted = 0;
  private failure: Error | undefined;
  private waiter: { task: number; resolve: (r: R[]) => void; reject: (e: Error) => void } | undefined;
  private closing: Promise<void> | undefined;
  private readonly tasks: PoolTask[];

  /**
   * `window` bounds how far dispatch may run ahead of the task the caller waits for, so one slow
   * group cannot make the finished ones after it pile up in memory without limit.
   */
  constructor(
    file: string,
    init: WorkerInit,
    count: number,
    tasks: readonly PoolTask[],
    private readonly window = 4 * count,
  ) {
    this.tasks = [...tasks];
    for (let i = 0; i < count; i++) this.slots.push(this.spawn(file, init));
    this.dispatch();
  }

  /**
   * More tasks for the same workers (a pool kept across calls: no new threads, model copies or
   * cold heaps); returns the number of the first, for result().
   */
  push(more: readonly PoolTask[]): number {
    const first = this.tasks.length;
    this.tasks.push(...more);
    this.dispatch();
    return first;
  }

  /** Task k's results; rejects with the pool's first failure. Take each task once. */
  result(k: number): Promise<R[]> {
    this.wanted = k;
    this.dispatch();
    if (this.failure) return Promise.reject(this.failure);
    const r = this.done.get(k);
    if (r) {
      this.done.delete(k);
      return Promise.resolve(r);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { task: k, resolve, reject };
    });
  }

  /** Terminates every worker and waits until each has exited. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= Promise.all(
      this.slots.map(async (s) => {
        await s.worker.terminate();
        await s.exited;
      }),
    ).then(() => undefined);
    return this.closing;
  }

  private spawn(file: string, init: WorkerInit): Slot {
    const worker = new Worker(file, { workerData: init });
    live++;
    // An idle worker must not keep the process alive (e.g. a caller that abandons the stream).
    worker.unref();
    const slot: Slot = {
      worker,
      task: undefined,
      exited: new Promise((resolve) => {
        worker.once('exit', (code) => {
          live--;
          if (!this.closing) this.fail(this.crash(slot, `exited with code ${code}`));
          resolve();
        });
      }),
    };
    worker.on('message', (m: WorkerReply<R>) => this.onReply(slot, m));
    worker.on('error', (e: Error) => this.fail(this.crash(slot, `failed: ${e.message}`)));
    return slot;
  }

  private onReply(slot: Slot, m: WorkerReply<R>): void {
    if (this.closing || this.failure) return;
    if (m.type === 'error') {
      this.fail(fromWire(m.error));
      return;
    }
    slot.task = undefined;
    slot.worker.unref();
    if (this.waiter?.task === m.task) {
      this.waiter.resolve(m.results);
      this.waiter = undefined;
    } else {
      this.done.set(m.task, m.results);
    }
    this.dispatch();
  }

  private dispatch(): void {
    if (this.closing || this.failure) return;
    for (const slot of this.slots) {
      if (slot.task !== undefined) continue;
      if (this.next >= this.tasks.length || this.next >= this.wanted + this.window) return;
      const k = this.next++;
      slot.task = k;
      slot.worker.ref();
      const t = this.tasks[k] as PoolTask;
      const msg: GroupTask = { task: k, pairs: t.pairs, ...(t.attribute && { attribute: t.attribute }), ...(t.score && { score: t.score }) };
      slot.worker.postMessage(msg);
    }
  }

  private crash(slot: Slot, what: string): CelensError {
    const t = slot.task === undefined ? undefined : this.tasks[slot.task];
    const during = t ? ` while computing group ${t.group} (pairs ${t.indices.join(', ')})` : '';
    return new CelensError(`attribution worker ${what}${during}`);
  }

  /** The first failure wins; the rest of the pool is stopped at once. */
  private fail(e: Error): void {
    if (this.failure || this.closing) return;
    this.failure = e;
    this.waiter?.reject(e);
    this.waiter = undefined;
    void this.close();
  }
}
