/**
 * Layer integrated gradients on activations (Dai et al., "Knowledge Neurons"): scale one layer's
 * site activation y from 0 to its value, recompute everything after it, and credit each neuron
 * with y · Σ_k w_k ∂F/∂(α_k y). The prefix (everything before the site) runs once per input;
 * only the suffix runs per α point. Rules: `left` (α = k/m), `trapezoid`, `gauss-legendre`
 * (Captum's default). Completeness: Σ attributions = F(y) − F(0) up to the quadrature error.
 */
import * as tf from '../backend/tf.js';
import { attentionOutStage, attentionResidualStage, embedStage, ffnStage, ffnStageFromPost, ffnStageFromPre, forwardContext, headStage, layerStage, neuronMask } from '../model/bert.js';
import type { BertModel, ForwardContext } from '../model/bert.js';
import { ffnIn, ffnPost } from '../model/ffn.js';
import type { TokenBatch } from '../tokenize/encode.js';
import { toInputs, disposeInputs } from '../model/inputs.js';
import type { Masks } from '../model/masks.js';
import { layerSite } from '../model/sites.js';
import type { SiteName } from '../model/sites.js';
import { rowSegments } from './baselines.js';
import type { NigSite } from './nig.js';
import { layerIgQuadrature } from './quadrature.js';
import type { LayerIgRule } from './quadrature.js';
import { summarize } from './summary.js';
import type { PairAttribution } from './summary.js';
import { defaultTarget, targetValues } from './targets.js';
import type { TargetSpec } from './targets.js';

export interface LayerIgOptions {
  /** Layers to attribute. @default every layer */
  layers?: readonly number[];
  /** One site kind, in each of `layers`. @default 'ffn.post' (the FFN activation, Dai et al.'s knowledge neurons) */
  site?: NigSite;
  /** @default 20 */
  steps?: number;
  /** @default 'gauss-legendre' */
  rule?: LayerIgRule;
  target?: TargetSpec;
  /** α points per suffix pass. @default 10 */
  chunk?: number;
  perToken?: boolean;
  masks?: Masks;
}

export const LAYER_IG_DEFAULTS = { site: 'ffn.post', steps: 20, rule: 'gauss-legendre', chunk: 10, perToken: false } as const;

interface Prefix {
  /** What the suffix adds back as the residual, [P*T,H]: the layer's input for `attn.out`, else the FFN input. */
  a: tf.Tensor2D;
  /** The site's value, [P,T,W]. */
  y: tf.Tensor3D;
}

export async function layerIgBatch(model: BertModel, batch: TokenBatch, opts: LayerIgOptions = {}): Promise<PairAttribution[]> {
  const c = model.config;
  const { batch: P, seqLen: T } = batch;
  const kind = opts.site ?? LAYER_IG_DEFAULTS.site;
  const layers = opts.layers ?? Array.from({ length: c.numLayers }, (_v, l) => l);
  const { alphas, weights } = layerIgQuadrature(opts.rule ?? LAYER_IG_DEFAULTS.rule, opts.steps ?? LAYER_IG_DEFAULTS.steps);
  const target = opts.target ?? defaultTarget(c);
  const chunk = Math.max(1, opts.chunk ?? LAYER_IG_DEFAULTS.chunk);
  const masks = opts.masks;
  const inputs = toInputs(batch, c);
  const prefixes = new Map<number, Prefix>();
  const perSite = new Map<SiteName, Float32Array>();
  const Fy = new Float64Array(P);
  const F0 = new Map<number, Float64Array>();
  try {
    // One forward computes every requested layer's prefix.
    tf.tidy(() => {
      const ctx = forwardContext(model, inputs.attentionMask, masks ? { masks } : {});
      let x = embedStage(ctx, inputs);
      const last = Math.max(...layers);
      for (let l = 0; l <= last; l++) {
        if (!layers.includes(l)) {
          x = layerStage(ctx, l, x);
          continue;
        }
        const attnOut = attentionOutStage(ctx, l, x);
        const a = attentionResidualStage(ctx, l, x, attnOut);
        const pre = ffnIn(model.weights.layers[l] as BertModel['weights']['layers'][number], a, P, T, ctx.ops);
        const post = ffnPost(pre, c.hiddenAct, ctx.ops, neuronMask(ctx, l));
        const out = ffnStageFromPost(ctx, l, a, post);
        const y = kind === 'ffn.pre' ? pre : kind === 'ffn.post' ? post : kind === 'attn.out' ? attnOut : (tf.reshape(out, [P, T, c.hiddenSize]) as tf.Tensor3D);
        prefixes.set(l, { a: tf.keep(kind === 'attn.out' ? x : a), y: tf.keep(y) });
        x = out;
      }
    });
    const tiled = (t: tf.Tensor2D, n: number): tf.Tensor2D => tf.tile(t, [n, 1]) as tf.Tensor2D;
    for (const l of layers) {
      const { a, y } = prefixes.get(l) as Prefix;
      const W = y.shape[2];
      let acc = tf.zeros([P, T, W]);
      for (let start = 0; start < alphas.length; start += chunk) {
        const C = Math.min(chunk, alphas.length - start);
        const step = tf.tidy(() => {
          const mask = tiled(inputs.attentionMask, C);
          const ctx = forwardContext(model, mask, masks ? { masks } : {});
          const scale = tf.tensor4d(alphas.slice(start, start + C), [C, 1, 1, 1]);
          const v = tf.reshape(tf.mul(scale, tf.expandDims(y, 0)), [C * P, T, W]) as tf.Tensor3D;
          const aT = tiled(a, C);
          const f = (vv: tf.Tensor): tf.Scalar => tf.sum(targetValues(target, suffix(ctx, l, kind, aT, vv as tf.Tensor3D)));
          const g = tf.reshape(tf.grad(f)(v), [C, P, T, W]);
          const w = tf.tensor4d(weights.slice(start, start + C), [C, 1, 1, 1]);
          return tf.add(acc, tf.sum(tf.mul(g, w), 0));
        });
        acc.dispose();
        acc = step;
      }
      const attr = tf.tidy(() => tf.mul(acc, y));
      acc.dispose();
      perSite.set(layerSite(l, kind), (await attr.data()) as Float32Array);
      attr.dispose();
      // F at the two ends (α = 1 and α = 0), for the convergence delta.
      const ends = tf.tidy(() => {
        const ctx = forwardContext(model, tiled(inputs.attentionMask, 2), masks ? { masks } : {});
        const v = tf.concat([y, tf.zerosLike(y)], 0) as tf.Tensor3D;
        return targetValues(target, suffix(ctx, l, kind, tiled(a, 2), v));
      });
      const e = await ends.data();
      ends.dispose();
      Fy.set(e.subarray(0, P));
      F0.set(l, Float64Array.from(e.subarray(P, 2 * P)));
    }
    const segments = Array.from({ length: P }, (_v, r) => rowSegments(batch, r));
    const sites = new Set(perSite.keys());
    return summarize({
      perSite,
      requested: sites,
      segments,
      T,
      numLayers: c.numLayers,
      targetInput: Fy,
      targetBaseline: F0.get(layers[0] as number) as Float64Array,
      baselineByLayer: F0,
      perToken: opts.perToken ?? LAYER_IG_DEFAULTS.perToken,
      cutSite: (l) => layerSite(l, kind),
    });
  } finally {
    disposeInputs(inputs);
    for (const p of prefixes.values()) tf.dispose([p.a, p.y]);
  }
}

/** The model from layer l's site value onwards → logits. */
function suffix(ctx: ForwardContext, l: number, kind: NigSite, a: tf.Tensor2D, v: tf.Tensor3D): tf.Tensor2D {
  const c = ctx.model.config;
  let x =
    kind === 'ffn.post'
      ? ffnStageFromPost(ctx, l, a, v)
      : kind === 'ffn.pre'
        ? ffnStageFromPre(ctx, l, a, v)
        : kind === 'attn.out'
          ? ffnStage(ctx, l, attentionResidualStage(ctx, l, a, v))
          : (tf.reshape(v, [ctx.B * ctx.T, c.hiddenSize]) as tf.Tensor2D);
  for (let k = l + 1; k < c.numLayers; k++) x = layerStage(ctx, k, x);
  return headStage(ctx, x);
}
