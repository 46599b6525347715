/**
 * BertForSequenceClassification as tfjs ops, readable in one sitting (HF modeling_bert.py):
 *   embeddings → L × (self-attention → FFN) → pooler(tanh on [CLS]) → classifier.
 * Every intervention site passes through `hook(site, value)`, which may read or replace it;
 * capture, gradients, masks and ablations are all built on that one mechanism (see hooks/).
 */
import * as tf from '@tensorflow/tfjs';
import type { BertConfig } from '../weights/config.js';
import { attention } from './attention.js';
import { embed } from './embeddings.js';
import { ffn } from './ffn.js';
import { layerNorm, linear } from './ops.js';
import type { BertWeights } from './params.js';
import type { Masks } from './masks.js';
import { layerSite } from './sites.js';
import type { SiteName } from './sites.js';

export interface BertModel {
  config: BertConfig;
  weights: BertWeights;
  /** Where the model came from (folder or hub id), for messages. */
  source: string;
}

export interface BertInputs {
  /** [B,T] int32 */
  inputIds: tf.Tensor2D;
  /** [B,T] int32 */
  tokenTypeIds: tf.Tensor2D;
  /** [B,T] 1 on real tokens, 0 on padding */
  attentionMask: tf.Tensor2D;
  /** Replaces the word-embedding lookup, [B,T,H] (NIG path points). */
  wordEmbeddings?: tf.Tensor3D;
}

/** Reads or replaces the value at a site; must return a tensor of the same shape. */
export type SiteHook = <T extends tf.Tensor>(site: SiteName, value: T) => T;

export interface ForwardOptions {
  hook?: SiteHook;
  masks?: Masks;
}

const FLOAT32_MIN = -3.4028234663852886e38;

/** logits [B, numLabels]. Call inside tf.tidy (or tf.grads); intermediates are not disposed here. */
export function bertForward(model: BertModel, inputs: BertInputs, opts: ForwardOptions = {}): tf.Tensor2D {
  const { config: c, weights: w } = model;
  const hook: SiteHook = opts.hook ?? ((_s, v) => v);
  const [B, T] = inputs.inputIds.shape;
  const H = c.hiddenSize;

  const emb = layerNorm(embed(w, inputs.inputIds, inputs.tokenTypeIds, inputs.wordEmbeddings), w.embeddingsNorm);
  let x = tf.reshape(hook('embeddings', emb), [B * T, H]) as tf.Tensor2D; // [B*T,H]
  // HF get_extended_attention_mask: (1 - mask) * finfo(float32).min, broadcast over heads and queries.
  const extMask = tf.mul(tf.sub(1, tf.reshape(tf.cast(inputs.attentionMask, 'float32'), [B, 1, 1, T])), FLOAT32_MIN) as tf.Tensor4D;

  w.layers.forEach((lw, l) => {
    const m = opts.masks?.[l];
    const headMask = m && m.heads.length ? zeroAt(c.numHeads, m.heads) : undefined;
    const neuronMask = m && m.ffn.length ? zeroAt(c.intermediateSizes[l] as number, m.ffn) : undefined;
    const a = attention(lw, { x, B, T, heads: c.numHeads, extMask, ...(headMask && { headMask }), onProbs: (p) => hook(layerSite(l, 'attn.probs'), p) });
    const out = ffn(lw, {
      x: a,
      B,
      T,
      act: c.hiddenAct,
      ...(neuronMask && { neuronMask }),
      onPre: (v) => hook(layerSite(l, 'ffn.pre'), v),
      onPost: (v) => hook(layerSite(l, 'ffn.post'), v),
    });
    x = tf.reshape(hook(layerSite(l, 'out'), tf.reshape(out, [B, T, H]) as tf.Tensor3D), [B * T, H]);
  });

  // BertPooler reads the [CLS] position only; slice (not gather) keeps the gradient wasm-friendly.
  const cls = tf.reshape(tf.slice(tf.reshape(x, [B, T, H]), [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
  const pooled = hook('pooler', tf.tanh(linear(cls, w.pooler)));
  return hook('logits', linear(pooled, w.classifier));
}

/** A [n] vector of ones with zeros at `idx`. */
function zeroAt(n: number, idx: readonly number[]): tf.Tensor1D {
  const v = new Float32Array(n).fill(1);
  for (const i of idx) v[i] = 0;
  return tf.tensor1d(v);
}
