/**
 * Scores one fixed list of encoded pairs many times: unpruned once, then once per pruning cell.
 * The pairs are tokenized, length-sorted and padded into batches once (as model/score.ts batches
 * them), so every cell sees the same batches and the same padding. The unpruned pass also keeps
 * the residual stream at chosen stage points (prefix.ts) for every batch, in JS memory, within a
 * byte budget; a cell restarts from the latest kept point at or before its first masked stage.
 * Restarting changes no bit: the skipped stages are the unpruned ones, run on the same batch.
 */
import * as tf from '../backend/tf.js';
import type { BertModel } from '../model/bert.js';
import { embedStage, forwardContext } from '../model/bert.js';
import { disposeInputs, toInputs } from '../model/inputs.js';
import type { TokenBatch } from '../tokenize/encode.js';
import { relevanceRule, scoredLabel } from '../model/relevance.js';
import type { Activation } from '../model/relevance.js';
import { applyActivation } from '../model/score.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import { padBatch } from '../tokenize/tokenizer.js';
import type { Intervention } from './ablate.js';
import { forwardFrom, forwardSaving, planCachePoints, restartPoint } from './prefix.js';

export interface EngineOptions {
  /** @default 32 */
  batchSize?: number;
  /** @default the model's rule (relevanceRule) */
  activation?: Activation;
  /** Memory for cached residual streams, in bytes; 0 turns reuse off. @default 1 GiB */
  cacheBytes?: number;
}

export const ENGINE_DEFAULTS = { batchSize: 32, cacheBytes: 1024 * 1024 * 1024 };

export interface ScoreEngine {
  model: BertModel;
  batches: TokenBatch[];
  /** rows[b][r]: the input index of row r of batch b. */
  rows: number[][];
  count: number;
  activation: Activation;
  cacheBytes: number;
  /** point → one Float32Array per batch (filled by scoreUnpruned). */
  cache: Map<number, Float32Array[]>;
  /** Half-layers run and half-layers skipped thanks to the cache, over all cells so far. */
  work: { run: number; skipped: number };
}

export function makeEngine(model: BertModel, encs: readonly PairEncoding[], opts: EngineOptions = {}): ScoreEngine {
  const batchSize = opts.batchSize ?? ENGINE_DEFAULTS.batchSize;
  const order = encs.map((e, i) => [e.inputIds.length, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  const rows: number[][] = [];
  const batches: TokenBatch[] = [];
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    rows.push(idx);
    batches.push(padBatch(idx.map((i) => encs[i] as PairEncoding), model.config.padTokenId));
  }
  const cacheBytes = opts.cacheBytes ?? ENGINE_DEFAULTS.cacheBytes;
  return { model, batches, rows, count: encs.length, activation: relevanceRule(model.config, opts.activation).activation, cacheBytes, cache: new Map(), work: { run: 0, skipped: 0 } };
}

/** Bytes one cached point takes over all batches ([B*T,H] float32 each). */
function bytesPerPoint(e: ScoreEngine): number {
  return e.batches.reduce((s, b) => s + b.batch * b.seqLen * e.model.config.hiddenSize * 4, 0);
}

/**
 * The unpruned scores, in input order. Caches the residual stream at the points that save the
 * most work for cells starting at `starts` (as many as cacheBytes allows).
 */
export async function scoreUnpruned(e: ScoreEngine, starts: readonly number[]): Promise<Float32Array> {
  const per = bytesPerPoint(e);
  const capacity = per > 0 ? Math.floor(e.cacheBytes / per) : 0;
  const points = new Set(planCachePoints(starts, capacity));
  e.cache.clear();
  for (const p of points) e.cache.set(p, []);
  return runBatches(e, (ctxInputs) => {
    const { ctx, inputs, b } = ctxInputs;
    return forwardSaving(ctx, inputs, points, (p, x) => {
      // A copy: the cpu backend hands out the tensor's own storage.
      (e.cache.get(p) as Float32Array[])[b] = (x.dataSync() as Float32Array).slice();
    });
  });
}

/** The scores with an intervention whose first masked stage is `start`, in input order. */
export async function scoreCell(e: ScoreEngine, iv: Intervention, start: number): Promise<Float32Array> {
  const L2 = 2 * e.model.config.numLayers;
  const from = restartPoint([...e.cache.keys()], start);
  return runBatches(e, ({ ctx, inputs, b, batch }) => {
    e.work.run += L2 - (from ?? 0);
    e.work.skipped += from ?? 0;
    if (from === undefined) return forwardFrom(ctx, 0, embedStage(ctx, inputs));
    const x = tf.tensor2d((e.cache.get(from) as Float32Array[])[b] as Float32Array, [batch.batch * batch.seqLen, e.model.config.hiddenSize]);
    return forwardFrom(ctx, from, x);
  }, iv);
}

interface BatchStep {
  ctx: ReturnType<typeof forwardContext>;
  inputs: ReturnType<typeof toInputs>;
  b: number;
  batch: TokenBatch;
}

/** Runs `fwd` on every batch (inside a tidy) and gathers the scored output per pair. */
async function runBatches(e: ScoreEngine, fwd: (s: BatchStep) => tf.Tensor2D, iv?: Intervention): Promise<Float32Array> {
  const out = new Float32Array(e.count);
  const label = scoredLabel(e.model.config.numLabels);
  const L = e.model.config.numLabels;
  for (let b = 0; b < e.batches.length; b++) {
    const batch = e.batches[b] as TokenBatch;
    const inputs = toInputs(batch, e.model.config);
    try {
      const scores = tf.tidy(() => {
        const ctx = forwardContext(e.model, inputs.attentionMask, { ...(iv?.masks && { masks: iv.masks }), ...(iv?.hook && { hook: iv.hook }) });
        const logits = fwd({ ctx, inputs, b, batch });
        return applyActivation(logits, e.activation);
      });
      const data = await scores.data();
      scores.dispose();
      (e.rows[b] as number[]).forEach((orig, r) => {
        out[orig] = data[r * L + label] as number;
      });
    } finally {
      disposeInputs(inputs);
    }
  }
  return out;
}
