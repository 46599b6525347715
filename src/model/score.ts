/**
 * Scoring (query, passage) pairs with a cross-encoder: every output of the head, raw logits unless
 * an activation is asked for (commands ask for the model's rule, relevance.ts). Pairs are sorted by
 * token length and batched, so little work goes to padding; scores come back in input order.
 */
import * as tf from '../backend/tf.js';
import type { BertModel } from './bert.js';
import { bertForward } from './bert.js';
import { toInputs, disposeInputs } from './inputs.js';
import type { Masks } from './masks.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import { padBatch } from '../tokenize/tokenizer.js';

import type { Activation } from './relevance.js';
import { relevanceRule } from './relevance.js';

export type { Activation } from './relevance.js';

/** How pairs are scored: batch size, activation on the logits, masks, progress. */
export interface ScoreOptions {
  /** @default 32 */
  batchSize?: number;
  /** @default 'none' (raw logits); relevanceRule(config).activation is the model's own */
  activation?: Activation;
  masks?: Masks;
  /** Called after each batch with the number of pairs scored so far. */
  onProgress?: (done: number, total: number) => void;
}

/** Defaults of ScoreOptions. */
export const SCORE_DEFAULTS = { batchSize: 32, activation: 'none' } as const;

/** The activation on logits [B, labels] (softmax over the labels). */
export function applyActivation(logits: tf.Tensor2D, act: Activation): tf.Tensor2D {
  switch (act) {
    case 'none':
      return logits;
    case 'sigmoid':
      return tf.sigmoid(logits);
    case 'softmax':
      return tf.softmax(logits, -1);
    case 'tanh':
      return tf.tanh(logits);
  }
}

/** The batches pairs are scored in: input indices sorted by token length (then index), cut every batchSize. */
export function scoringBatches(encs: readonly PairEncoding[], batchSize: number): number[][] {
  const order = encs.map((e, i) => [e.inputIds.length, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += batchSize) batches.push(order.slice(start, start + batchSize));
  return batches;
}

/** Scores encoded pairs; returns one row of numLabels values per pair, in input order. */
export async function scoreEncoded(model: BertModel, encs: readonly PairEncoding[], opts: ScoreOptions = {}): Promise<number[][]> {
  const batchSize = opts.batchSize ?? SCORE_DEFAULTS.batchSize;
  const act = opts.activation ?? SCORE_DEFAULTS.activation;
  const out: number[][] = new Array<number[]>(encs.length);
  const pad = model.config.padTokenId;
  let done = 0;
  for (const idx of scoringBatches(encs, batchSize)) {
    const batch = padBatch(idx.map((i) => encs[i] as PairEncoding), pad);
    const inputs = toInputs(batch, model.config);
    try {
      const logits = tf.tidy(() => {
        const l = bertForward(model, inputs, opts.masks ? { masks: opts.masks } : {});
        return applyActivation(l, act);
      });
      const data = await logits.data();
      logits.dispose();
      const L = model.config.numLabels;
      idx.forEach((orig, r) => {
        out[orig] = Array.from(data.subarray(r * L, (r + 1) * L));
      });
    } finally {
      disposeInputs(inputs);
    }
    done += idx.length;
    opts.onProgress?.(done, encs.length);
  }
  return out;
}

/** Each pair's relevance score under the model's rule (relevance.ts), or under `activation`; input order. */
export async function relevanceScores(model: BertModel, encs: readonly PairEncoding[], opts: ScoreOptions = {}): Promise<number[]> {
  const rule = relevanceRule(model.config, opts.activation);
  const rows = await scoreEncoded(model, encs, { ...opts, activation: rule.activation });
  return rows.map((r) => r[rule.label] as number);
}
