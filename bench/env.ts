/** What the numbers were measured on: versions, CPU, and the backend's own settings. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '../src/backend/tf.js';

export interface Environment {
  node: string;
  tfjs: string;
  tfjsBackendWasm: string;
  platform: string;
  cpuModel: string;
  cpuCount: number;
  totalMemGiB: number;
  date: string;
  /**
   * sha256 (first 12 hex digits) of the model code this process runs (src/model and src/hooks as
   * compiled beside this file): tells two runs of different code apart while the code changes.
   */
  modelCode: string;
}

export async function environment(): Promise<Environment> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const c = cpus();
  return {
    node: process.version,
    tfjs: tf.version_core,
    tfjsBackendWasm: wasm.version_wasm,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    cpuCount: c.length,
    totalMemGiB: totalmem() / 2 ** 30,
    date: new Date().toISOString(),
    modelCode: codeHash(['../src/model/', '../src/hooks/']),
  };
}

function codeHash(dirs: string[]): string {
  const h = createHash('sha256');
  for (const d of dirs) {
    const dir = fileURLToPath(new URL(d, import.meta.url));
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort();
    } catch {
      continue;
    }
    for (const f of files) h.update(f).update(readFileSync(dir + f));
  }
  return h.digest('hex').slice(0, 12);
}

/** Settings of the active backend that change speed (wasm: SIMD, threads). */
export async function backendInfo(): Promise<Record<string, string | number | boolean>> {
  const name = tf.getBackend();
  if (name !== 'wasm') return { backend: name };
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return {
    backend: name,
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    multithreadSupport: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
    threads: wasm.getThreadsCount(),
  };
}
