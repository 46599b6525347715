/**
 * A text-in, number-out scorer over a loaded cross-encoder: the function `rerank` (ir layer, no
 * tfjs) is handed. One number per (query, passage) pair, the model's relevance score
 * (relevance.ts: sentence-transformers' activation for a 1-label head, P(label 1) for a 2-label
 * one, or the activation asked for). Scores are float32 values, as the model computes them.
 */
import { runnable } from './load.js';
import type { OpenedModel } from './load.js';
import { TokenizerError, UsageError } from '../errors.js';
import type { PairScorer } from '../ir/rerank.js';
import type { PairEncoding, PairTokenizer, Truncation } from '../tokenize/tokenizer.js';
import type { BertModel } from './bert.js';
import type { Masks } from './masks.js';
import { scoreEncoded, SCORE_DEFAULTS } from './score.js';
import type { ScoreOptions } from './score.js';
import type { Activation } from './relevance.js';
import { relevanceRule } from './relevance.js';

export { scoredLabel } from './relevance.js';

/** Scores encoded pairs as scoreEncoded does (rows of labels, input order): in this thread, or on a worker pool. */
export type EncodedScorer = (encs: readonly PairEncoding[], opts: ScoreOptions) => Promise<number[][]>;

/** How makeScorer tokenizes and scores: batch size, activation, masks, truncation, and where the pairs are scored. */
export interface ScorerOptions {
  /** Pairs per forward pass (pairs are length-sorted first). @default 32 */
  batchSize?: number;
  /** @default the model's rule (relevanceRule) */
  activation?: Activation;
  masks?: Masks;
  /** Tokens per pair incl. specials. @default the tokenizer's default (≤ 512, ≤ the model's positions) */
  maxLength?: number;
  /** @default 'longest_first' */
  truncation?: Truncation;
  /**
   * How the encoded pairs are scored. @default scoreEncoded on `model`, in this thread; a worker
   * pool passes its own (poolScorer in jobs/score-parallel.ts), which gives identical scores.
   */
  scoreEncoded?: EncodedScorer;
}

/** A PairScorer over a model and its tokenizer: text pairs in, the model's relevance scores out (for rerank). */
export function makeScorer(model: BertModel | OpenedModel, tokenizer: PairTokenizer, opts: ScorerOptions = {}): PairScorer {
  const { vocabSize, maxPositionEmbeddings } = model.config;
  const { activation, label } = relevanceRule(model.config, opts.activation);
  // A tokenizer from another folder (--tokenizer) must not produce ids the embedding table lacks.
  if (tokenizer.vocabSize > vocabSize) {
    throw new TokenizerError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary has ${vocabSize}: they do not belong together`, { file: tokenizer.source });
  }
  const maxLength = opts.maxLength ?? Math.min(tokenizer.defaultMaxLength, maxPositionEmbeddings);
  if (maxLength > maxPositionEmbeddings) throw new UsageError(`max length ${maxLength} exceeds the model's ${maxPositionEmbeddings} positions`);
  return async (pairs, onProgress) => {
    const encs = await tokenizer.encodePairs(pairs, { maxLength, truncation: opts.truncation ?? 'longest_first' });
    const so = {
      batchSize: opts.batchSize ?? SCORE_DEFAULTS.batchSize,
      activation,
      ...(opts.masks && { masks: opts.masks }),
      ...(onProgress && { onProgress }),
    };
    const rows = opts.scoreEncoded ? await opts.scoreEncoded(encs, so) : await scoreEncoded(await runnable(model), encs, so);
    return rows.map((r) => r[label] as number);
  };
}
