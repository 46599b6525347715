/**
 * celens' own WebAssembly kernels (kernels/*.c) run on tfjs-backend-wasm's heap: each module is
 * instantiated against the backend's own WebAssembly.Memory, so tensors are read and written in
 * place, with no copy. One instance per module and backend (a worker thread has its own backend).
 */
import * as tf from './tf.js';

/** The few WebAssembly globals used here (the project's lib settings carry no WebAssembly types). */
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

interface WasmModuleLike {
  asm?: { memory?: unknown };
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** What the kernels use of tfjs-backend-wasm's backend object. */
export interface WasmBackendLike {
  wasm: WasmModuleLike;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's data on the heap (taken after any makeOutput, which may grow the heap). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** One more tensor shares this data (what tfjs-wasm's own Reshape does). */
  incRef(dataId: object): void;
}

/** What tfjs passes a kernel function. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

const instances = new WeakMap<object, Map<string, Record<string, unknown> | null>>();
const decoded = new Map<string, Uint8Array>();

/**
 * The exports of the module `base64` bound to this backend's memory (cached per backend), or null
 * where tfjs does not expose the memory.
 */
export function heapModule(backend: WasmBackendLike, base64: string): Record<string, unknown> | null {
  let perBackend = instances.get(backend);
  if (perBackend === undefined) instances.set(backend, (perBackend = new Map()));
  let exports = perBackend.get(base64);
  if (exports !== undefined) return exports;
  const memory = heapMemory(backend);
  exports = null;
  if (memory !== null) {
    let bytes = decoded.get(base64);
    if (bytes === undefined) decoded.set(base64, (bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0))));
    exports = new WA.Instance(new WA.Module(bytes), { env: { memory } }).exports;
  }
  perBackend.set(base64, exports);
  return exports;
}

/** The module's exports for a kernel that cannot run without them (`kernel` names it in the error). */
export function requireHeapModule(backend: WasmBackendLike, base64: string, kernel: string): Record<string, unknown> {
  const e = heapModule(backend, base64);
  if (e === null) throw new Error(`${kernel}: this wasm backend does not expose its memory`);
  return e;
}

/** Refuses a gradient whose shape differs from the tensor it goes with, naming the kernel and both. */
export function sameShape(kernel: string, [aName, a]: [string, tf.TensorInfo], [bName, b]: [string, tf.TensorInfo]): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`${kernel}: ${aName} [${a.shape.join(',')}] does not match ${bName} [${b.shape.join(',')}]`);
}

/** Refuses any input that is not float32, naming the kernel. */
export function float32Only(kernel: string, ts: readonly tf.TensorInfo[]): void {
  for (const t of ts) if (t.dtype !== 'float32') throw new Error(`${kernel}: float32 only, got ${t.dtype}`);
}

/**
 * celens' own kernels (a module's functions under new kernel names): registered for wasm once,
 * and `active()` says whether the current backend has them and they can reach its memory.
 */
export function heapKernels(base64: string, kernels: Record<string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]>): { register(): void; active(): boolean } {
  const names = Object.keys(kernels);
  return {
    register(): void {
      for (const [kernelName, fn] of Object.entries(kernels)) {
        if (!tf.getKernel(kernelName, 'wasm')) tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: fn as unknown as tf.KernelFunc });
      }
    },
    active(): boolean {
      const name = tf.getBackend();
      if (names.some((k) => tf.getKernel(k, name) === undefined)) return false;
      return name !== 'wasm' || heapModule(tf.backend() as unknown as WasmBackendLike, base64) !== null;
    },
  };
}

/** Byte offset of a tensor's data in the heap. */
export function heapOffset(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return (backend.dataIdMap.get(t.dataId) as { memoryOffset: number }).memoryOffset;
}

/**
 * The heap's current buffer (the backend's WebAssembly.Memory), for native kernels; null where tfjs
 * does not expose the memory. Take it after the last makeOutput: growing the heap replaces it.
 */
export function heapBuffer(backend: WasmBackendLike): ArrayBuffer | null {
  return heapMemory(backend)?.buffer ?? null;
}

/** The backend's WebAssembly.Memory, or null where tfjs does not expose it. */
function heapMemory(backend: WasmBackendLike): { buffer: ArrayBuffer } | null {
  const memory = backend.wasm.asm?.memory;
  return memory instanceof WA.Memory ? (memory as unknown as { buffer: ArrayBuffer }) : null;
}
