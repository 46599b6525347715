/**
 * A text-in, number-out scorer over a loaded cross-encoder: the function `rerank` (ir layer, no
 * tfjs) is handed. One number per (query, passage) pair:
 * - a single-output head (ms-marco cross-encoders): output 0 — the raw logit by default, as
 *   sentence-transformers' CrossEncoder.predict gives it, or its sigmoid;
 * - a head with ≥ 2 outputs (e.g. [not relevant, relevant]): output 1, the "relevant" class,
 *   after the chosen activation (softmax gives its probability, none its raw logit).
 * Scores are float32 values, as the model computes them.
 */
import { TokenizerError, UsageError } from '../errors.js';
import type { PairScorer } from '../ir/rerank.js';
import type { PairTokenizer, Truncation } from '../tokenize/tokenizer.js';
import type { BertModel } from './bert.js';
import type { Masks } from './masks.js';
import { scoreEncoded, SCORE_DEFAULTS } from './score.js';
import { scoreEncodedParallel } from './score-parallel.js';
import type { PoolOptions } from '../attribution/pool.js';
import type { Activation } from './score.js';

export interface ScorerOptions {
  /** Pairs per forward pass (pairs are length-sorted first). @default 32 */
  batchSize?: number;
  /** @default 'none' */
  activation?: Activation;
  masks?: Masks;
  /** Tokens per pair incl. specials. @default the tokenizer's default (≤ 512, ≤ the model's positions) */
  maxLength?: number;
  /** @default 'longest_first' */
  truncation?: Truncation;
  /** Score on a worker pool (score-parallel.ts): the folder the model came from, and the pool's options. */
  pool?: PoolOptions & { modelDir: string };
}

/** Which output a head of `numLabels` outputs is scored by (see the file comment). */
export function scoredLabel(numLabels: number): number {
  return numLabels >= 2 ? 1 : 0;
}

export function makeScorer(model: BertModel, tokenizer: PairTokenizer, opts: ScorerOptions = {}): PairScorer {
  const { numLabels, vocabSize, maxPositionEmbeddings } = model.config;
  const activation = opts.activation ?? SCORE_DEFAULTS.activation;
  // Softmax over one output is 1 for every pair: a "ranking" made only of ties.
  if (activation === 'softmax' && numLabels === 1) throw new UsageError('softmax over a single-output head gives 1 for every pair; use none or sigmoid');
  // A tokenizer from another folder (--tokenizer) must not produce ids the embedding table lacks.
  if (tokenizer.vocabSize > vocabSize) {
    throw new TokenizerError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary has ${vocabSize}: they do not belong together`, { file: tokenizer.source });
  }
  const maxLength = opts.maxLength ?? Math.min(tokenizer.defaultMaxLength, maxPositionEmbeddings);
  if (maxLength > maxPositionEmbeddings) throw new UsageError(`max length ${maxLength} exceeds the model's ${maxPositionEmbeddings} positions`);
  const label = scoredLabel(numLabels);
  return async (pairs, onProgress) => {
    const encs = await tokenizer.encodePairs(pairs, { maxLength, truncation: opts.truncation ?? 'longest_first' });
    const so = {
      batchSize: opts.batchSize ?? SCORE_DEFAULTS.batchSize,
      activation,
      ...(opts.masks && { masks: opts.masks }),
      ...(onProgress && { onProgress }),
    };
    const rows = opts.pool ? await scoreEncodedParallel(opts.pool.modelDir, model, encs, so, opts.pool) : await scoreEncoded(model, encs, so);
    return rows.map((r) => r[label] as number);
  };
}
