/**
 * Peak resident memory. tfjs kernels on cpu and wasm run synchronously on the main thread, so a
 * timer there would never fire mid-forward; a worker thread samples instead (RSS is per process,
 * so the worker sees the main thread's allocations) and keeps the maximum in shared memory.
 * On Linux the kernel's own high-water mark (VmHWM in /proc/self/status) is read too; writing
 * "5" to /proc/self/clear_refs resets it, so each phase gets its own exact peak.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData } = require('node:worker_threads');
const peak = new BigInt64Array(workerData.buf);
const sample = () => {
  const rss = BigInt(process.memoryUsage.rss());
  if (rss > Atomics.load(peak, 0)) Atomics.store(peak, 0, rss);
};
sample();
setInterval(sample, workerData.intervalMs);
`;

export class RssMonitor {
  readonly #peak: BigInt64Array;
  readonly #worker: Worker;

  private constructor(intervalMs: number) {
    const buf = new SharedArrayBuffer(8);
    this.#peak = new BigInt64Array(buf);
    this.#worker = new Worker(WORKER, { eval: true, workerData: { buf, intervalMs } });
  }

  /** Starts sampling every `intervalMs` (default 5 ms) on a worker thread. */
  static async start(intervalMs = 5): Promise<RssMonitor> {
    const m = new RssMonitor(intervalMs);
    await new Promise<void>((ok, fail) => {
      m.#worker.once('online', ok);
      m.#worker.once('error', fail);
    });
    m.#worker.unref(); // never keeps the process alive by itself
    return m;
  }

  /** Largest sampled RSS (bytes) since start or the last reset. */
  peak(): number {
    return Math.max(Number(Atomics.load(this.#peak, 0)), process.memoryUsage.rss());
  }

  /** Starts a new phase: the sampled peak restarts from the current RSS. */
  reset(): void {
    Atomics.store(this.#peak, 0, BigInt(process.memoryUsage.rss()));
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** VmHWM (peak RSS) in bytes from /proc/self/status, or undefined off Linux. */
export function highWaterMark(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false where that is not allowed. */
export function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function mib(bytes: number): number {
  return bytes / 2 ** 20;
}
