/** Timing helpers: medians with min/max over repeated runs after warm-ups. */

export interface Timing {
  runs: number;
  warmup: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
  /**
   * Process CPU time (user + system, all threads) / wall time over the timed runs. The kernels
   * run on one thread, so about 1 means the thread had a core to itself; well below 1 means
   * other processes took the CPU (a shared machine) and the times are inflated.
   */
  cpuShare?: number;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarize(samplesMs: readonly number[], warmup: number): Timing {
  return {
    runs: samplesMs.length,
    warmup,
    medianMs: median(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    samplesMs: [...samplesMs],
  };
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed (wall clock, performance.now). */
export async function timeRuns(fn: () => Promise<void>, runs: number, warmup: number): Promise<Timing> {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer, got ${runs}`);
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return { ...summarize(samples, warmup), cpuShare: cpuShareSince(cpu0, wall0) };
}

/** True when every value is a finite number. */
export function allFinite(xs: ArrayLike<number>): boolean {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i] as number)) return false;
  return true;
}

/** (user + system CPU µs since `cpu0`) / wall time since `wall0` (performance.now ms). */
export function cpuShareSince(cpu0: NodeJS.CpuUsage, wall0: number): number {
  const d = process.cpuUsage(cpu0);
  return (d.user + d.system) / 1000 / (performance.now() - wall0);
}
