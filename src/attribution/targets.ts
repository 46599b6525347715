/**
 * What attribution explains: `logit` (the score; default for 1-label heads), `prob` (its sigmoid),
 * or `class:N` (softmax probability of class N, for multi-label heads such as MonoBERT; default
 * `class:1`, the "relevant" class of 2-label rerankers).
 */
import * as tf from '../backend/tf.js';
import { UsageError } from '../errors.js';
import type { BertConfig } from '../weights/config.js';

export type TargetSpec = 'logit' | 'prob' | `class:${number}`;

export function defaultTarget(c: Pick<BertConfig, 'numLabels'>): TargetSpec {
  return c.numLabels === 1 ? 'logit' : 'class:1';
}

export function parseTarget(s: string, c: Pick<BertConfig, 'numLabels'>): TargetSpec {
  if (s === 'logit' || s === 'prob') {
    if (c.numLabels !== 1) throw new UsageError(`target '${s}' is for 1-label models; this model has ${c.numLabels} labels (use class:N)`);
    return s;
  }
  const m = /^class:(\d+)$/.exec(s);
  if (!m) throw new UsageError(`unknown target '${s}' (logit, prob, class:N)`);
  const n = Number(m[1]);
  if (n >= c.numLabels || c.numLabels < 2) throw new UsageError(`target '${s}': the model has ${c.numLabels} label(s)`);
  return s as TargetSpec;
}

/** Per-row target values [B] from logits [B, labels]. */
export function targetValues(spec: TargetSpec, logits: tf.Tensor2D): tf.Tensor1D {
  const B = logits.shape[0];
  if (spec === 'logit') return tf.reshape(tf.slice(logits, [0, 0], [B, 1]), [B]);
  if (spec === 'prob') return tf.sigmoid(tf.reshape(tf.slice(logits, [0, 0], [B, 1]), [B]));
  const n = Number(spec.slice('class:'.length));
  return tf.reshape(tf.slice(tf.softmax(logits, -1), [0, n], [B, 1]), [B]);
}
