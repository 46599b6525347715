/**
 * One model job at a time: the server's jobs wait in line (first come, first served) and each
 * carries its client's AbortSignal, so a client that goes away leaves the line, or stops its job
 * at the next point the job checks (JobControl.checkpoint). A full line refuses new jobs.
 */

/** Raised by run() when the line is full. */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`the server is busy: ${waiting} jobs are waiting; try again shortly`);
  }
}

/** Raised inside a job (or for a waiting one) whose client went away. */
export class CancelledError extends Error {
  constructor() {
    super('cancelled: the client closed the connection');
  }
}

/** What a job gets: its client's signal, a progress reporter, and a checkpoint to call between units of work. */
export interface JobControl {
  signal: AbortSignal;
  progress(done: number, total: number, what: string): void;
  /** Yields to the event loop (so a closed connection is noticed) and throws CancelledError once the client is gone. */
  checkpoint(): Promise<void>;
}

export interface JobHooks {
  /** Called while the job waits, with the number of jobs ahead of it (the running one included). */
  onQueued?: (ahead: number) => void;
  onProgress?: (done: number, total: number, what: string) => void;
}

interface Waiting {
  start: () => void;
  cancel: () => void;
}

export interface QueueStats {
  running: string | null;
  queued: number;
  done: number;
  cancelled: number;
  failed: number;
}

export class JobQueue {
  #running: string | null = null;
  readonly #waiting: Waiting[] = [];
  readonly #hooks = new Map<Waiting, JobHooks>();
  readonly #idle: Array<() => void> = [];
  #done = 0;
  #cancelled = 0;
  #failed = 0;

  constructor(readonly maxWaiting: number) {}

  stats(): QueueStats {
    return { running: this.#running, queued: this.#waiting.length, done: this.#done, cancelled: this.#cancelled, failed: this.#failed };
  }

  /** Resolves once no job runs or waits (a server that stops waits for its cancelled job to reach a checkpoint). */
  idle(): Promise<void> {
    if (this.#running === null && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Runs `work` once every job before it has finished; rejects with CancelledError if `signal` aborts first. */
  async run<T>(name: string, signal: AbortSignal, work: (ctl: JobControl) => Promise<T>, hooks: JobHooks = {}): Promise<T> {
    if (signal.aborted) {
      this.#cancelled++;
      throw new CancelledError();
    }
    if (this.#running !== null) {
      if (this.#waiting.length >= this.maxWaiting) throw new QueueFullError(this.#waiting.length);
      await this.#wait(signal, hooks);
    }
    this.#running = name;
    const ctl: JobControl = {
      signal,
      progress: (done, total, what) => hooks.onProgress?.(done, total, what),
      checkpoint: async () => {
        await new Promise<void>((r) => setImmediate(r));
        if (signal.aborted) throw new CancelledError();
      },
    };
    try {
      const out = await work(ctl);
      this.#done++;
      return out;
    } catch (e) {
      if (e instanceof CancelledError) this.#cancelled++;
      else this.#failed++;
      throw e;
    } finally {
      this.#running = null;
      this.#next();
    }
  }

  /** Waits for this job's turn, telling the hook how many are ahead as the line moves. */
  #wait(signal: AbortSignal, hooks: JobHooks): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: Waiting = {
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        cancel: () => reject(new CancelledError()),
      };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(entry);
        if (at >= 0) this.#waiting.splice(at, 1);
        this.#hooks.delete(entry);
        this.#cancelled++;
        this.#announce();
        entry.cancel();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
      this.#hooks.set(entry, hooks);
      hooks.onQueued?.(this.#waiting.length);
    });
  }

  #next(): void {
    const entry = this.#waiting.shift();
    if (entry === undefined) {
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#hooks.delete(entry);
    // Taken at once, so no job that arrives meanwhile can slip in ahead.
    this.#running = 'starting';
    entry.start();
    this.#announce();
  }

  /** Tells every waiting job its new place. */
  #announce(): void {
    this.#waiting.forEach((w, i) => this.#hooks.get(w)?.onQueued?.(i + 1));
  }
}
