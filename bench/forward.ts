/**
 * Forward throughput on a synthetic batch shaped like torch_nig.py's: random ids in [1000, vocab),
 * token type 0 for the first third of the positions and 1 after, full attention mask.
 */
import * as tf from '../src/backend/tf.js';
import { bertForward } from '../src/model/bert.js';
import type { BertModel } from '../src/model/bert.js';
import { disposeInputs, toInputs } from '../src/model/inputs.js';
import type { TokenBatch } from '../src/tokenize/encode.js';
import type { BertConfig } from '../src/weights/config.js';
import { Xoshiro128 } from '../scripts/make-random-model.js';
import { allFinite, timeRuns } from './stats.js';
import type { Timing } from './stats.js';

export interface ForwardBenchOptions {
  batch: number;
  seq: number;
  runs: number;
  /** @default 1 */
  warmup?: number;
  /** Seed of the synthetic ids. @default 0 */
  seed?: number;
}

export interface ForwardResult {
  batch: number;
  seq: number;
  timing: Timing;
  /** batch / median seconds */
  pairsPerSec: number;
}

/** The synthetic batch (ids ≥ 1000 when the vocabulary allows, as torch_nig.py draws them). */
export function syntheticBatch(c: Pick<BertConfig, 'vocabSize'>, batch: number, seq: number, seed = 0): TokenBatch {
  const rng = new Xoshiro128(seed, 0x1d5);
  const lo = c.vocabSize > 1000 ? 1000 : 1;
  const n = batch * seq;
  const inputIds = new Int32Array(n);
  const tokenTypeIds = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    inputIds[i] = rng.nextInt(lo, c.vocabSize);
    tokenTypeIds[i] = i % seq >= Math.floor(seq / 3) ? 1 : 0;
  }
  return { inputIds, tokenTypeIds, attentionMask: new Int32Array(n).fill(1), batch, seqLen: seq };
}

export async function benchForward(model: BertModel, o: ForwardBenchOptions): Promise<ForwardResult> {
  const inputs = toInputs(syntheticBatch(model.config, o.batch, o.seq, o.seed ?? 0), model.config);
  try {
    const timing = await timeRuns(
      async () => {
        const logits = tf.tidy(() => bertForward(model, inputs));
        const data = await logits.data();
        logits.dispose();
        if (!allFinite(data)) throw new Error('forward produced a non-finite logit');
      },
      o.runs,
      o.warmup ?? 1,
    );
    return { batch: o.batch, seq: o.seq, timing, pairsPerSec: o.batch / (timing.medianMs / 1000) };
  } finally {
    disposeInputs(inputs);
  }
}
