/** The benchmark's model: a random-weight folder made once by scripts/make-random-model and cached. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { configJson, makeRandomModel, resolveShape } from '../scripts/make-random-model.js';
import type { PresetName } from '../scripts/make-random-model.js';

export interface BenchModelOptions {
  dir: string;
  preset: PresetName;
  /** @default 0 */
  seed?: number;
}

/**
 * Makes the model folder unless one with the same config (shape and seed) is already there.
 * Returns whether it was (re)made and how long that took.
 */
export async function ensureBenchModel(o: BenchModelOptions): Promise<{ made: boolean; ms: number }> {
  const seed = o.seed ?? 0;
  const want = configJson(resolveShape({ preset: o.preset }), 0.02, seed);
  const have = await readFile(join(o.dir, 'config.json'), 'utf8').catch(() => undefined);
  const weights = await stat(join(o.dir, 'model.safetensors')).catch(() => undefined);
  if (have === want && weights?.isFile()) return { made: false, ms: 0 };
  const t0 = performance.now();
  await makeRandomModel({ out: o.dir, preset: o.preset, seed });
  return { made: true, ms: performance.now() - t0 };
}
