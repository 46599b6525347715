/**
 * Where the time goes: tf.profile records every kernel a function runs (forward and gradient
 * kernels alike) with its wall time on cpu/wasm. Kernels are summed by name; BatchMatMul is split
 * into the dense layers (2-D operands) and attention (Q·Kᵀ and P·V, batched over B×heads), with
 * the GFLOP/s each achieves. Entries that are not kernels of the backend (customGrad wrappers such
 * as `linear`, which tfjs records as "unnamed scope" or by scope name) contain other kernels'
 * time: they are listed apart and left out of the total. Profiling adds overhead per kernel.
 */
import * as tf from '../src/backend/tf.js';

export interface KernelShare {
  kernel: string;
  calls: number;
  ms: number;
  /** ms / totalKernelMs */
  share: number;
  /** Matmuls only: 2·M·N·K summed over calls, and that over the time. */
  gflop?: number;
  gflops?: number;
}

export interface ProfileResult {
  wallMs: number;
  /** Sum over real kernels (wrappers excluded). */
  totalKernelMs: number;
  kernelCalls: number;
  /** Engine peak of live tensor bytes during the call (tf.profile peakBytes, weights included). */
  peakBytes: number;
  kernels: KernelShare[];
  /** Wrapper entries (their time is also inside the kernels they ran). */
  wrappers: Array<{ name: string; calls: number; ms: number }>;
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** FLOPs of one matmul from its shapes: out [...batch, M, N]; K = (a's last two dims) / M. */
export function matmulFlops(a: readonly number[], out: readonly number[]): number {
  const M = out[out.length - 2] ?? 1;
  const N = out[out.length - 1] ?? 1;
  const batch = size(out.slice(0, -2));
  const K = size(a.slice(-2)) / M;
  return 2 * batch * M * N * K;
}

function label(name: string, inputShapes: number[][]): string {
  if (name !== 'BatchMatMul' && name !== '_FusedMatMul') return name;
  const a = inputShapes[0] ?? [];
  const dense = a.length === 2 || (a.length === 3 && a[0] === 1);
  return `${name}[${dense ? 'dense' : 'attention'}]`;
}

/** Profiles `fn` (which must dispose what it makes) and sums kernel time by kernel. */
export async function profileKernels(fn: () => void | Promise<void>): Promise<ProfileResult> {
  const backend = tf.getBackend();
  const t0 = performance.now();
  const info = await tf.profile(fn);
  const wallMs = performance.now() - t0;
  const by = new Map<string, { calls: number; ms: number; flops: number }>();
  const wrap = new Map<string, { calls: number; ms: number }>();
  let total = 0;
  let calls = 0;
  for (const k of info.kernels) {
    const t = await k.kernelTimeMs;
    const ms = typeof t === 'number' ? t : 0;
    if (tf.getKernel(k.name, backend) === undefined) {
      const w = wrap.get(k.name) ?? { calls: 0, ms: 0 };
      w.calls++;
      w.ms += ms;
      wrap.set(k.name, w);
      continue;
    }
    const l = label(k.name, k.inputShapes);
    const e = by.get(l) ?? { calls: 0, ms: 0, flops: 0 };
    e.calls++;
    e.ms += ms;
    if (l !== k.name) e.flops += matmulFlops(k.inputShapes[0] ?? [], k.outputShapes[0] ?? []);
    by.set(l, e);
    total += ms;
    calls++;
  }
  const kernels = [...by.entries()]
    .map(([kernel, e]): KernelShare => ({
      kernel,
      calls: e.calls,
      ms: e.ms,
      share: total > 0 ? e.ms / total : 0,
      ...(e.flops > 0 && { gflop: e.flops / 1e9, gflops: e.ms > 0 ? e.flops / 1e6 / e.ms : 0 }),
    }))
    .sort((a, b) => b.ms - a.ms);
  const wrappers = [...wrap.entries()].map(([name, w]) => ({ name, ...w }));
  return { wallMs, totalKernelMs: total, kernelCalls: calls, peakBytes: info.peakBytes, kernels, wrappers };
}
