/**
 * Restarting the model part-way, so a pruning cell need not recompute what it shares with the
 * unpruned model. A cell's masks (and mean-ablation hooks) act from one layer on; everything
 * before is the unpruned computation, bit for bit. Stage points name where a forward can restart:
 *
 *   point 2l     layer l's input x_l                    [B*T,H]  (point 0: the embeddings' output)
 *   point 2l+1   layer l's FFN input (after attention)  [B*T,H]
 *   point 2L     the last layer's output
 *
 * A cell that masks FFN neurons of layer f (and nothing earlier) starts at 2f+1; one that masks
 * heads of layer f at 2f. The stages are bert.ts's own, so a restarted forward is the same code.
 */
import * as tf from '../backend/tf.js';
import type { BertInputs, ForwardContext } from '../model/bert.js';
import { attentionStage, embedStage, ffnStage, headStage } from '../model/bert.js';
import type { Masks } from '../model/masks.js';

/** The first stage point at which `masks` change anything (2L when they change nothing). */
export function startPoint(masks: Masks, numLayers: number): number {
  for (let l = 0; l < numLayers; l++) {
    const m = masks[l];
    if (m && m.heads.length > 0) return 2 * l;
    if (m && m.ffn.length > 0) return 2 * l + 1;
  }
  return 2 * numLayers;
}

/** Runs from stage point `point`, where the residual stream is `x`, to the logits. */
export function forwardFrom(ctx: ForwardContext, point: number, x: tf.Tensor2D): tf.Tensor2D {
  const L = ctx.model.config.numLayers;
  let l = Math.floor(point / 2);
  // One tidy per layer: only the residual stream outlives a layer, so peak memory is one
  // layer's intermediates (attention probabilities [B,heads,T,T] dominate), not all L layers'.
  if (point % 2 === 1) {
    const f = l++;
    const a = x;
    x = tf.tidy(() => ffnStage(ctx, f, a));
  }
  for (; l < L; l++) {
    const [k, input] = [l, x];
    x = tf.tidy(() => ffnStage(ctx, k, attentionStage(ctx, k, input)));
  }
  return headStage(ctx, x);
}

/**
 * A whole forward that also hands back the residual stream at `points` (the caller keeps what it
 * needs out of the tidy). Call inside tf.tidy.
 */
export function forwardSaving(ctx: ForwardContext, inputs: BertInputs, points: ReadonlySet<number>, save: (point: number, x: tf.Tensor2D) => void): tf.Tensor2D {
  const L = ctx.model.config.numLayers;
  let x = embedStage(ctx, inputs);
  if (points.has(0)) save(0, x);
  for (let l = 0; l < L; l++) {
    const input = x;
    x = tf.tidy(() => {
      const a = attentionStage(ctx, l, input);
      if (points.has(2 * l + 1)) save(2 * l + 1, a);
      return ffnStage(ctx, l, a);
    });
    if (points.has(2 * l + 2)) save(2 * l + 2, x);
  }
  return headStage(ctx, x);
}

/** The cached point a cell starting at `start` restarts from: the latest one not after it, or none. */
export function restartPoint(cached: readonly number[], start: number): number | undefined {
  let best: number | undefined;
  for (const p of cached) if (p <= start && (best === undefined || p > best)) best = p;
  return best;
}

/**
 * Which points to cache when at most `capacity` fit in memory: greedily the one that removes
 * the most half-layers of work over all cells (a cell starting at s restarting from p skips p
 * half-layers). Point 0 saves only the embedding lookup and is never worth its memory.
 */
export function planCachePoints(starts: readonly number[], capacity: number): number[] {
  const chosen: number[] = [];
  const candidates = [...new Set(starts.filter((s) => s > 0))].sort((a, b) => a - b);
  const saved = (set: readonly number[]): number => starts.reduce((sum, s) => sum + (restartPoint(set, s) ?? 0), 0);
  while (chosen.length < capacity) {
    let best: number | undefined;
    let bestGain = 0;
    for (const p of candidates) {
      if (chosen.includes(p)) continue;
      const gain = saved([...chosen, p]) - saved(chosen);
      if (gain > bestGain) [best, bestGain] = [p, gain];
    }
    if (best === undefined) break;
    chosen.push(best);
  }
  return chosen.sort((a, b) => a - b);
}
