/**
 * BertForSequenceClassification as tfjs ops, readable in one sitting (HF modeling_bert.py):
 *   embeddings → L × (self-attention → FFN) → pooler(tanh on [CLS]) → classifier.
 * Every intervention site passes through `hook(site, value)`, which may read or replace it;
 * capture, gradients, masks and ablations are all built on that one mechanism (see hooks/).
 * The stages are exported so that methods which restart the model mid-way (layer IG) reuse the
 * same code rather than a copy.
 */
import * as tf from '../backend/tf.js';
import type { BertConfig } from '../weights/config.js';
import { ATTENTION_CHUNK_FLOATS, attentionOutput, attentionResidual } from './attention.js';
import { embed } from './embeddings.js';
import { ffnFromPost, ffnIn, ffnPost } from './ffn.js';
import { INFERENCE_OPS } from './ops.js';
import type { ModelOps } from './ops.js';
import type { BertWeights } from './params.js';
import type { Masks } from './masks.js';
import { layerSite } from './sites.js';
import type { SiteName } from './sites.js';

export interface BertModel {
  config: BertConfig;
  weights: BertWeights;
  /** Where the model came from (folder or hub id), for messages. */
  source: string;
  /** The primitives the forward runs. @default INFERENCE_OPS (a trainable model brings its own) */
  ops?: ModelOps;
}

/** Model inputs as int32 tensors [B,T] (what toInputs makes). */
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

/** What every stage needs besides its input: batch geometry, the additive mask, hook and masks. */
export interface ForwardContext {
  model: BertModel;
  B: number;
  T: number;
  /** (1 − mask) × most-negative float32, [B,1,1,T] */
  extMask: tf.Tensor4D;
  hook: SiteHook;
  masks: Masks | undefined;
  /** The model's primitives (linear, layerNorm). */
  ops: ModelOps;
}

const FLOAT32_MIN = -3.4028234663852886e38;
const identity: SiteHook = (_s, v) => v;

export function forwardContext(model: BertModel, attentionMask: tf.Tensor2D, opts: ForwardOptions = {}): ForwardContext {
  const [B, T] = attentionMask.shape;
  // HF get_extended_attention_mask: (1 - mask) * finfo(float32).min, broadcast over heads and queries.
  const extMask = tf.mul(tf.sub(1, tf.reshape(tf.cast(attentionMask, 'float32'), [B, 1, 1, T])), FLOAT32_MIN) as tf.Tensor4D;
  return { model, B, T, extMask, hook: opts.hook ?? identity, masks: opts.masks, ops: model.ops ?? INFERENCE_OPS };
}

/** logits [B, numLabels]. Call inside tf.tidy (or tf.grads); intermediates are not disposed here. */
export function bertForward(model: BertModel, inputs: BertInputs, opts: ForwardOptions = {}): tf.Tensor2D {
  const ctx = forwardContext(model, inputs.attentionMask, opts);
  return headStage(ctx, encoderStage(ctx, inputs));
}

/** The last layer's hidden states [B*T,H] (BertModel's sequence output: what the head and an MLM head read). */
export function encoderStage(ctx: ForwardContext, inputs: BertInputs): tf.Tensor2D {
  const { model } = ctx;
  let x = embedStage(ctx, inputs); // [B*T,H]
  // A scope per layer frees its intermediates (attention scores, FFN activations) as soon as the
  // layer is done, so inference memory is one layer's worth, not the whole network's. Under a
  // gradient tape this is safe: tfjs keeps its own copies of what the backward pass needs.
  for (let l = 0; l < model.config.numLayers; l++) {
    const input = x;
    x = tf.tidy(() => layerStage(ctx, l, input));
  }
  return x;
}

/** Embeddings + LayerNorm, through the `embeddings` site → [B*T,H]. */
export function embedStage(ctx: ForwardContext, inputs: BertInputs): tf.Tensor2D {
  const w = ctx.model.weights;
  // Its own scope, as each layer's: the three lookups and their sum are freed once normalised.
  const emb = tf.tidy(() => ctx.ops.layerNorm(embed(w, inputs.inputIds, inputs.tokenTypeIds, inputs.wordEmbeddings), w.embeddingsNorm));
  return tf.reshape(ctx.hook('embeddings', emb), [ctx.B * ctx.T, ctx.model.config.hiddenSize]);
}

/** Layer l's attention block (with the `attn.probs` and `attn.out` sites) → its output, the FFN's input [B*T,H]. */
export function attentionStage(ctx: ForwardContext, l: number, x: tf.Tensor2D): tf.Tensor2D {
  return attentionResidualStage(ctx, l, x, attentionOutStage(ctx, l, x));
}

/** Layer l's attention block up to the `attn.out` site: the output projection before the residual, [B,T,H]. */
export function attentionOutStage(ctx: ForwardContext, l: number, x: tf.Tensor2D): tf.Tensor3D {
  const c = ctx.model.config;
  const heads = ctx.masks?.[l]?.heads ?? [];
  const headMask = heads.length ? zeroAt(c.numHeads, heads) : undefined;
  const out = attentionOutput(ctx.model.weights.layers[l] as BertWeights['layers'][number], {
    x,
    B: ctx.B,
    T: ctx.T,
    heads: c.numHeads,
    extMask: ctx.extMask,
    ops: ctx.ops,
    ...(headMask && { headMask }),
    onProbs: (p) => ctx.hook(layerSite(l, 'attn.probs'), p),
    // Inference that reads no site (scoring): the attention scores a few pairs at a time (a smaller
    // heap, whose fresh pages are slow to touch on wasm). Same ops per element, so the same values.
    ...(ctx.hook === identity && ctx.ops === INFERENCE_OPS && { chunkPairs: Math.max(1, Math.floor(ATTENTION_CHUNK_FLOATS / (c.numHeads * ctx.T * ctx.T))) }),
  });
  return ctx.hook(layerSite(l, 'attn.out'), tf.reshape(out, [ctx.B, ctx.T, c.hiddenSize]) as tf.Tensor3D);
}

/** The rest of layer l's attention block from `attn.out` [B,T,H]: LayerNorm(attn.out + x) → [B*T,H]. */
export function attentionResidualStage(ctx: ForwardContext, l: number, x: tf.Tensor2D, out: tf.Tensor3D): tf.Tensor2D {
  const H = ctx.model.config.hiddenSize;
  return attentionResidual(ctx.model.weights.layers[l] as BertWeights['layers'][number], tf.reshape(out, [ctx.B * ctx.T, H]), x, ctx.ops);
}

/** Layer l's FFN from its input `a` [B*T,H], through `ffn.pre`, `ffn.post` and `out` → [B*T,H]. */
export function ffnStage(ctx: ForwardContext, l: number, a: tf.Tensor2D): tf.Tensor2D {
  const pre = ctx.hook(layerSite(l, 'ffn.pre'), ffnIn(ctx.model.weights.layers[l] as BertWeights['layers'][number], a, ctx.B, ctx.T, ctx.ops));
  return ffnStageFromPre(ctx, l, a, pre);
}

/** The rest of layer l from its FFN pre-activation [B,T,I]. */
export function ffnStageFromPre(ctx: ForwardContext, l: number, a: tf.Tensor2D, pre: tf.Tensor3D): tf.Tensor2D {
  const post = ctx.hook(layerSite(l, 'ffn.post'), ffnPost(pre, ctx.model.config.hiddenAct, ctx.ops, neuronMask(ctx, l)));
  return ffnStageFromPost(ctx, l, a, post);
}

/** The rest of layer l from its FFN activation [B,T,I]: output dense, residual LayerNorm, `out` site. */
export function ffnStageFromPost(ctx: ForwardContext, l: number, a: tf.Tensor2D, post: tf.Tensor3D): tf.Tensor2D {
  const H = ctx.model.config.hiddenSize;
  const out = ffnFromPost(ctx.model.weights.layers[l] as BertWeights['layers'][number], post, a, ctx.ops);
  return tf.reshape(ctx.hook(layerSite(l, 'out'), tf.reshape(out, [ctx.B, ctx.T, H]) as tf.Tensor3D), [ctx.B * ctx.T, H]);
}

/** One whole encoder layer. */
export function layerStage(ctx: ForwardContext, l: number, x: tf.Tensor2D): tf.Tensor2D {
  // A scope per block as well: the attention's scores, probabilities and head-split copies are
  // freed before the FFN's activations are made, which halves a layer's peak memory (fresh heap
  // pages are slow to touch on wasm). Same ops, same values.
  const a = tf.tidy(() => attentionStage(ctx, l, x));
  return ffnStage(ctx, l, a);
}

/** BertPooler (tanh on [CLS]) and the classifier, through `pooler` and `logits`. */
export function headStage(ctx: ForwardContext, x: tf.Tensor2D): tf.Tensor2D {
  const { B, T } = ctx;
  const w = ctx.model.weights;
  const H = ctx.model.config.hiddenSize;
  // The pooler reads the [CLS] position only; slice (not gather) keeps the gradient wasm-friendly.
  const cls = tf.reshape(tf.slice(tf.reshape(x, [B, T, H]), [0, 0, 0], [B, 1, H]), [B, H]) as tf.Tensor2D;
  const pooled = ctx.hook('pooler', tf.tanh(ctx.ops.linear(cls, w.pooler)));
  return ctx.hook('logits', ctx.ops.linear(pooled, w.classifier));
}

/** Layer l's FFN neuron mask ([I] of 0/1), or undefined when none of its neurons is masked. */
export function neuronMask(ctx: ForwardContext, l: number): tf.Tensor1D | undefined {
  const neurons = ctx.masks?.[l]?.ffn ?? [];
  return neurons.length ? zeroAt(ctx.model.config.intermediateSizes[l] as number, neurons) : undefined;
}

/** A [n] vector of ones with zeros at `idx`. */
function zeroAt(n: number, idx: readonly number[]): tf.Tensor1D {
  const v = new Float32Array(n).fill(1);
  for (const i of idx) v[i] = 0;
  return tf.tensor1d(v);
}
