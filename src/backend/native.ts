/**
 * celens' optional native kernels (native/, a Node-API addon that `npm install` and `npm run build`
 * build where a C compiler is present), on tfjs-backend-wasm's heap in place, for x86-64 cores:
 * - BatchMatMul in AVX-512 or AVX2 + FMA (native/matmul.c). The WebAssembly kernel
 *   (kernels/matmul.c) is near the ceiling of SIMD128 (4 lanes, no FMA); the same cores run
 *   16-lane FMA 3-4 times as fast (round 6 in bench/results/speed.md). Its bits differ from the
 *   WebAssembly kernel's by float32 rounding (one rounding per multiply-add instead of two).
 * - The exact GELU and its derivative (native/gelu.c): the WebAssembly kernel's operations on 16
 *   lanes, the same bits.
 * - Sum over leading axes (native/reduce.c, ./sum.ts): tfjs' own order of additions without its
 *   transpose, the same bits.
 * Missing addon, another CPU, or `CELENS_NATIVE=0`: the WebAssembly kernels do the work.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The instruction sets the addon has kernels for; `scalar` is the reference tests compare with. */
export type NativeIsa = 'avx512' | 'avx2' | 'scalar';

/** The addon's functions: byte offsets into `buffer`, the wasm heap. */
export interface NativeAddon {
  batchMatMul(buffer: ArrayBuffer, a: number, b: number, c: number, batchA: number, batchB: number, M: number, K: number, N: number, transA: number, transB: number): void;
  geluForward(buffer: ArrayBuffer, x: number, y: number, n: number): void;
  geluBackward(buffer: ArrayBuffer, x: number, dy: number, dx: number, n: number): void;
  columnSum(buffer: ArrayBuffer, x: number, out: number, rows: number, cols: number): void;
  isa(): NativeIsa | null;
  setIsa(isa: NativeIsa): void;
  peakFlops(iters: number): [number, number];
}

const FUNCTIONS = ['batchMatMul', 'geluForward', 'geluBackward', 'columnSum', 'isa', 'setIsa', 'peakFlops'] as const satisfies ReadonlyArray<keyof NativeAddon>;

const ADDON = join('native', 'build', 'Release', 'celens_native.node');

/** The built addon: searched upward from this module (src/, dist/ and dist-all/src/ all sit below the package root). */
function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++, dir = dirname(dir)) {
    const path = join(dir, ADDON);
    if (existsSync(path)) return path;
  }
  return null;
}

let loaded: { addon: NativeAddon | null; why: string } | undefined;

function load(): { addon: NativeAddon | null; why: string } {
  if (loaded !== undefined) return loaded;
  const off = process.env.CELENS_NATIVE;
  if (off === '0' || off === 'false') return (loaded = { addon: null, why: 'CELENS_NATIVE=0' });
  const path = findAddon();
  if (path === null) return (loaded = { addon: null, why: 'the addon is not built (npm run build:native needs a C compiler)' });
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    const missing = FUNCTIONS.filter((f) => typeof addon[f] !== 'function');
    if (missing.length > 0) return (loaded = { addon: null, why: `the built addon is older than this code (no ${missing.join(', ')}; npm run build:native)` });
    if (addon.isa() === null) return (loaded = { addon: null, why: 'this CPU has neither AVX-512 nor AVX2 + FMA' });
    return (loaded = { addon, why: '' });
  } catch (e) {
    return (loaded = { addon: null, why: `the addon failed to load (${(e as Error).message.split('\n')[0] ?? ''})` });
  }
}

let enabled = true;

/** The addon where it is built, loads, has kernels for this CPU and is turned on in this thread; else null. */
export function nativeKernels(): NativeAddon | null {
  const { addon } = load();
  return enabled && addon !== null ? addon : null;
}

/**
 * Whether the native kernels run in this thread: the matMul's instruction set ('avx512', 'avx2', or
 * 'scalar' where a test chose it), or null with the reason the WebAssembly kernels run instead.
 */
export function nativeStatus(): { isa: NativeIsa | null; why: string } {
  const { addon, why } = load();
  if (addon === null) return { isa: null, why };
  if (!enabled) return { isa: null, why: 'turned off (useNative(false))' };
  return { isa: addon.isa(), why: '' };
}

/**
 * Turns the native kernels on or off in this thread, or picks the matMul's instruction set (one the
 * CPU has; tests compare them bit for bit). Off, the WebAssembly kernels run. Returns whether they
 * are now on. Worker threads (`--workers`, the pools) do not see this: `CELENS_NATIVE=0` in the
 * environment turns them off for a whole process and its workers.
 */
export function useNative(on: boolean | NativeIsa): boolean {
  const { addon } = load();
  if (typeof on === 'string') {
    if (addon === null) return false;
    addon.setIsa(on);
    enabled = true;
  } else enabled = on;
  return enabled && addon !== null;
}

/**
 * The fused multiply-add peak of one core in the instruction set in use (12 independent FMA chains,
 * no memory traffic), best of 20 runs, in GFLOP/s; null where the native matMul is not in use.
 */
export function nativePeakGflops(): number | null {
  const { addon } = load();
  if (addon === null || !enabled) return null;
  let best = 0;
  for (let r = 0; r < 20; r++) {
    const [flops, seconds] = addon.peakFlops(addon.isa() === 'scalar' ? 1e5 : 1e7);
    best = Math.max(best, flops / seconds / 1e9);
  }
  return best;
}
