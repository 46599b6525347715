/**
 * How much faster an exported (physically pruned) model runs than the masked original: the same
 * synthetic batch through both, after a warm-up, median wall time of `runs` forward passes each.
 * Token ids are drawn with a fixed seed; their values do not change the work done.
 */
import * as tf from '../backend/tf.js';
import type { BertModel } from '../model/bert.js';
import { bertForward } from '../model/bert.js';
import { disposeInputs, toInputs } from '../model/inputs.js';
import type { Masks } from '../model/masks.js';
import { mulberry32, randomInt } from '../util/random.js';

export interface PrunedBenchOptions {
  /** @default 32 */
  batch?: number;
  /** Tokens per pair. @default min(128, max positions) */
  length?: number;
  /** @default 5 */
  runs?: number;
}

export const PRUNED_BENCH_DEFAULTS = { batch: 32, maxLength: 128, runs: 5 } as const;

export interface PrunedBench {
  batch: number;
  length: number;
  runs: number;
  /** Median ms per batch. */
  maskedMs: number;
  exportedMs: number;
  speedup: number;
}

export async function benchPruned(masked: BertModel, masks: Masks, exported: BertModel, opts: PrunedBenchOptions = {}): Promise<PrunedBench> {
  const c = masked.config;
  const batch = opts.batch ?? PRUNED_BENCH_DEFAULTS.batch;
  const length = opts.length ?? Math.min(PRUNED_BENCH_DEFAULTS.maxLength, c.maxPositionEmbeddings);
  const runs = opts.runs ?? PRUNED_BENCH_DEFAULTS.runs;
  const rand = mulberry32(1);
  const n = batch * length;
  const ids = Int32Array.from({ length: n }, (_v, i) => (i % length === 0 ? 0 : randomInt(rand, c.vocabSize)));
  const inputs = toInputs({ inputIds: ids, tokenTypeIds: new Int32Array(n), attentionMask: new Int32Array(n).fill(1), batch, seqLen: length }, c);
  try {
    const once = async (model: BertModel, m: Masks | undefined): Promise<number> => {
      const t0 = performance.now();
      const out = tf.tidy(() => bertForward(model, inputs, m ? { masks: m } : {}));
      await out.data();
      out.dispose();
      return performance.now() - t0;
    };
    // Warm-up (kernels compiled, memory allocated), then alternate, so neither model always runs second.
    await once(masked, masks);
    await once(exported, undefined);
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < runs; r++) {
      a.push(await once(masked, masks));
      b.push(await once(exported, undefined));
    }
    const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;
    const maskedMs = median(a);
    const exportedMs = median(b);
    return { batch, length, runs, maskedMs, exportedMs, speedup: maskedMs / exportedMs };
  } finally {
    disposeInputs(inputs);
  }
}
