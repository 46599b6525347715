/**
 * BatchMatMul for the wasm backend from celens' own SIMD kernel (kernels/matmul.c).
 *
 * tfjs-backend-wasm hands a matMul to XNNPACK only for one untransposed matrix; attention's
 * batched products and every transposed product of a gradient run in a scalar loop at
 * ≈ 1 GFLOP/s. The kernel here runs at 45–50 GFLOP/s on one core (blocked for the caches), and beats
 * the XNNPACK build inside tfjs on the dense products too (bench/results/), so it takes every
 * float32 BatchMatMul. It works on tfjs' heap in place: the module is instantiated against the
 * backend's own WebAssembly.Memory. Shapes it does not cover (non-float32, batch dimensions that
 * broadcast other than "one side has a single matrix") go to tfjs' kernel.
 *
 * Where celens' native addon is built and the CPU has AVX-512 or AVX2 + FMA (./native.ts), the same
 * product runs there instead, on the same heap, 3-4 times as fast on this project's machine.
 */
import * as tf from './tf.js';
import { MATMUL_WASM_BASE64 } from './kernels/matmul-wasm.js';
import { isCelensKernel, replaceWasmKernel } from './replace-kernel.js';
import { heapBuffer, heapModule, heapOffset } from './heap-module.js';
import { nativeKernels } from './native.js';
import type { KernelArgs, WasmBackendLike } from './heap-module.js';

type BatchMatMulFn = (a: number, b: number, c: number, scratch: number, batchA: number, batchB: number, M: number, K: number, N: number, transA: number, transB: number) => void;

interface Kernel {
  matmul: BatchMatMulFn;
  /** Bytes of scratch space one call needs (a packed strip of B and an edge tile). */
  scratchBytes: number;
}

/** The kernel bound to this backend's memory, or null where tfjs does not expose the memory. */
function kernelFor(backend: WasmBackendLike): Kernel | null {
  const exports = heapModule(backend, MATMUL_WASM_BASE64);
  return exports && { matmul: exports.batch_matmul as BatchMatMulFn, scratchBytes: 4 * (exports.matmul_scratch_floats as () => number)() };
}

const prod = (s: readonly number[]): number => s.reduce((x, y) => x * y, 1);
const same = (x: readonly number[], y: readonly number[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);

function makeKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return ((args: KernelArgs) => {
    const backend = args.backend as WasmBackendLike;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const kernel = kernelFor(backend);
    if (kernel === null || a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback(args as never);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const [a0, a1] = [a.shape[ra - 2] as number, a.shape[ra - 1] as number];
    const [b0, b1] = [b.shape[rb - 2] as number, b.shape[rb - 1] as number];
    const M = transposeA ? a1 : a0;
    const K = transposeA ? a0 : a1;
    const N = transposeB ? b0 : b1;
    if ((transposeB ? b1 : b0) !== K) return fallback(args as never); // tfjs' own message for the mismatch
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = prod(outerA);
    const batchB = prod(outerB);
    let outer: number[];
    if (same(outerA, outerB)) outer = outerA;
    else if (batchA === 1) outer = outerB.length >= outerA.length ? outerB : outerA.map((_v, i) => outerB[i - outerA.length + outerB.length] ?? 1);
    else if (batchB === 1) outer = outerA.length >= outerB.length ? outerA : outerB.map((_v, i) => outerA[i - outerB.length + outerA.length] ?? 1);
    else return fallback(args as never);
    const out = backend.makeOutput([...outer, M, N], 'float32');
    if (M * N === 0) return out;
    const offset = (t: tf.TensorInfo): number => heapOffset(backend, t);
    const native = nativeKernels();
    const heap = heapBuffer(backend);
    if (native !== null && heap !== null) {
      // The buffer is taken after makeOutput, which may have grown (and so replaced) it.
      native.batchMatMul(heap, offset(a), offset(b), offset(out), batchA, batchB, M, K, N, transposeA ? 1 : 0, transposeB ? 1 : 0);
      return out;
    }
    const scratch = backend.wasm._malloc(kernel.scratchBytes);
    try {
      kernel.matmul(offset(a), offset(b), offset(out), scratch, batchA, batchB, M, K, N, transposeA ? 1 : 0, transposeB ? 1 : 0);
    } finally {
      backend.wasm._free(scratch);
    }
    return out;
  }) as unknown as tf.KernelFunc;
}

/** Replaces wasm's BatchMatMul by the SIMD kernel (idempotent; tfjs' kernel stays the fallback). */
export function registerWasmMatMul(): void {
  replaceWasmKernel('BatchMatMul', makeKernel);
}

/** Whether the SIMD kernel serves the active wasm backend (false off wasm or where tfjs hides its memory). */
export function wasmMatMulActive(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  return isCelensKernel('BatchMatMul') && kernelFor(tf.backend() as unknown as WasmBackendLike) !== null;
}
