/**
 * Neuron Integrated Gradients (Vast et al., "Which Neurons Matter in IR?", ICTIR 2024).
 *
 * Path: a straight line in word-embedding space, x(α) = x′ + α(x − x′), α_k = k/(m−1) (or a
 * caller's grid 0 = α_0 < … < α_{m−1} = 1); position and token-type embeddings, token types and
 * the attention mask stay those of the real input. At each point one forward pass reads every
 * chosen site y of every layer and one backward pass gives all their gradients g = ∂F/∂y (rows are
 * independent, so ∂ΣF/∂y is per row). Per neuron, with y_k = y(α_k), g_k = g(α_k):
 *   right      Σ_{k≥1} g_k (y_k − y_{k−1})            (the authors' rule)
 *   left       Σ_{k≥1} g_{k−1} (y_k − y_{k−1})        (Captum's LayerConductance)
 *   trapezoid  Σ_{k≥1} ½(g_k + g_{k−1})(y_k − y_{k−1})  (the default: second order)
 * These are Riemann–Stieltjes sums of ∫ g dy: the increments y_k − y_{k−1} carry the interval
 * widths, so the same sums hold on a non-uniform grid with no quadrature weights. F(x′) and F(x)
 * are F at α_0 = 0 and α_{m−1} = 1, so a grid must include both ends (checkPathAlphas).
 * α points run in chunks; the last point of a chunk is carried over, so increments are exact
 * across chunk borders. Accumulators are [P,T,W] per site: memory does not grow with steps.
 *
 * Completeness: `layer.{l}.out` is a cut of the network, so Σ_{t,j} NIG = F(x) − F(x′) up to the
 * integration error (reported per layer). The FFN sites are not cuts (the residual bypasses
 * them): their sums are not expected to equal the change in F.
 */
import * as tf from '../backend/tf.js';
import type { BertModel } from '../model/bert.js';
import type { TokenBatch } from '../tokenize/encode.js';
import type { Masks } from '../model/masks.js';
import { layerSite } from '../model/sites.js';
import type { SiteName } from '../model/sites.js';
import { resolveAttributionSites } from './site-specs.js';
import type { AttributionSiteSpec } from './site-specs.js';
import { runModel, disposeRun } from '../hooks/run.js';
import { baselineIds, rowSegments } from './baselines.js';
import type { BaselineKind, Segments } from './baselines.js';
import { checkPathAlphas, inclusiveAlphas } from './quadrature.js';
import { targetValues, defaultTarget } from './targets.js';
import type { TargetSpec } from './targets.js';
import { summarize } from './summary.js';
import { pathSum } from './path-sum.js';
import type { PairAttribution } from './summary.js';

export { NIG_SITES } from './site-specs.js';
export type { NigSite } from './site-specs.js';
export type NigRule = 'right' | 'left' | 'trapezoid';
export const NIG_RULES: readonly NigRule[] = ['right', 'left', 'trapezoid'];

export interface NigOptions {
  /** @default 'padq' */
  baseline?: BaselineKind;
  /**
   * m, the number of path points including both ends. @default 50 (with the trapezoid rule the
   * completeness error on the embedded model stays under 1% of |F(x) − F(x′)|; 20 right-rule
   * points, the former default, leave up to 30%)
   */
  steps?: number;
  /** Which end of each interval gives the gradient; `right` is the authors'. @default 'trapezoid' */
  rule?: NigRule;
  /**
   * Sites attributed: a kind (`ffn.pre`, `ffn.post`, `out`, `attn.out`) for every layer, or site
   * names and globs (`layer.3.ffn.pre`, `layer.*.ffn.post`). One pass per path chunk reads every
   * chosen site, so a subset of layers saves only its accumulators. @default ['ffn.pre']
   */
  sites?: readonly AttributionSiteSpec[];
  /** @default 'logit' for 1-label models, 'class:1' otherwise */
  target?: TargetSpec;
  /** α points per forward/backward pass. @default 10 */
  chunk?: number;
  /**
   * Cap on rows × tokens per pass (the chunk shrinks to fit): a pass keeps every layer's
   * activations for its backward (MiniLM-L6: a 0.4 GiB heap at 256, 2.2 GiB at 1536 before the
   * custom gradients of ops.ts). Larger passes are no faster on wasm, and fresh heap pages are slow.
   * @default 256
   */
  maxTokensPerPass?: number;
  /**
   * Path points to use instead of k/(m−1): strictly ascending, from exactly 0 to exactly 1 (e.g.
   * denser where F moves fast). Each interval is credited by `rule` as on the uniform grid. A
   * grid that misses an end is refused (RangeError), as is `steps` other than `alphas.length`.
   */
  alphas?: readonly number[];
  /** Keep per-token attributions in the result. @default false */
  perToken?: boolean;
  /** [UNK] id for the unk baselines. */
  unkId?: number;
  masks?: Masks;
  /**
   * Called after each pass with the path points done and m, and awaited: a caller can report
   * progress, yield to its event loop, or stop the run by throwing (every tensor is freed and the
   * exception propagates).
   */
  onPathProgress?: (done: number, total: number) => void | Promise<void>;
}

export const NIG_DEFAULTS = { baseline: 'padq', steps: 50, rule: 'trapezoid', sites: ['ffn.pre'], chunk: 10, maxTokensPerPass: 256, perToken: false } as const;

/** NIG for the rows of one padded batch (pairs of similar length). */
export async function nigBatch(model: BertModel, batch: TokenBatch, opts: NigOptions = {}): Promise<PairAttribution[]> {
  const c = model.config;
  const { batch: P, seqLen: T } = batch;
  const H = c.hiddenSize;
  const rule = opts.rule ?? NIG_DEFAULTS.rule;
  const target = opts.target ?? defaultTarget(c);
  const alphas = pathAlphas(opts);
  const m = alphas.length;
  const budget = Math.max(1, Math.floor((opts.maxTokensPerPass ?? NIG_DEFAULTS.maxTokensPerPass) / (P * T)));
  const chunk = Math.max(1, Math.min(opts.chunk ?? NIG_DEFAULTS.chunk, m, budget));
  // The chosen sites, and every layer's output (a cut) for the completeness check.
  const chosen = resolveAttributionSites(opts.sites ?? NIG_DEFAULTS.sites, c);
  const requested = new Set(chosen.sites);
  const kinds = chosen.kinds.includes('out') ? chosen.kinds : [...chosen.kinds, 'out' as const];
  const sites: SiteName[] = [];
  for (let l = 0; l < c.numLayers; l++) for (const k of kinds) if (k === 'out' || requested.has(layerSite(l, k))) sites.push(layerSite(l, k));
  const segments: Segments[] = Array.from({ length: P }, (_v, r) => rowSegments(batch, r));

  const base = baselineIds(opts.baseline ?? NIG_DEFAULTS.baseline, batch, { pad: c.padTokenId, unk: opts.unkId });
  const x = await wordRows(model, batch.inputIds);
  const x0 = base ? await wordRows(model, base) : new Float32Array(P * T * H);

  const acc = new Map<SiteName, tf.Tensor>();
  const prevY = new Map<SiteName, tf.Tensor>();
  const prevG = new Map<SiteName, tf.Tensor>();
  const F = new Float64Array(m * P);
  const shape2: [number, number] = [P, T];
  const ids = tf.tensor2d(batch.inputIds, shape2, 'int32');
  const types = tf.tensor2d(batch.tokenTypeIds, shape2, 'int32');
  const mask = tf.tensor2d(batch.attentionMask, shape2, 'int32');
  try {
    for (let start = 0; start < m; start += chunk) {
      const C = Math.min(chunk, m - start);
      const words = pathPoints(x, x0, alphas.slice(start, start + C));
      const inputs = tf.tidy(() => ({
        inputIds: tf.tile(ids, [C, 1]) as tf.Tensor2D,
        tokenTypeIds: tf.tile(types, [C, 1]) as tf.Tensor2D,
        attentionMask: tf.tile(mask, [C, 1]) as tf.Tensor2D,
        wordEmbeddings: tf.tensor3d(words, [C * P, T, H]),
      }));
      const r = runModel(model, inputs, {
        capture: sites,
        grad: sites,
        target: (logits) => tf.sum(targetValues(target, logits)),
        ...(opts.masks && { masks: opts.masks }),
      });
      try {
        const f = tf.tidy(() => targetValues(target, r.logits));
        F.set(await f.data(), start * P);
        f.dispose();
        for (const s of sites) accumulate(s, r.captured.get(s) as tf.Tensor, r.grads.get(s) as tf.Tensor, C, P, rule, acc, prevY, prevG);
      } finally {
        disposeRun(r);
        tf.dispose(inputs);
      }
      await opts.onPathProgress?.(start + C, m);
    }
    const perSite = new Map<SiteName, Float32Array>();
    for (const s of sites) perSite.set(s, (await (acc.get(s) as tf.Tensor).data()) as Float32Array);
    return summarize({
      perSite,
      requested,
      segments,
      T,
      numLayers: c.numLayers,
      targetInput: F.subarray((m - 1) * P, m * P),
      targetBaseline: F.subarray(0, P),
      perToken: opts.perToken ?? NIG_DEFAULTS.perToken,
    });
  } finally {
    tf.dispose([ids, types, mask, ...acc.values(), ...prevY.values(), ...prevG.values()]);
  }
}

/** The path points: the caller's grid, checked, or m = steps points k/(m−1). */
function pathAlphas(opts: NigOptions): number[] {
  if (opts.alphas === undefined) return inclusiveAlphas(opts.steps ?? NIG_DEFAULTS.steps);
  if (opts.steps !== undefined && opts.steps !== opts.alphas.length) {
    throw new RangeError(`steps (${opts.steps}) and alphas (${opts.alphas.length} points) disagree; give one of them`);
  }
  return checkPathAlphas(opts.alphas);
}

/** Adds one chunk's Σ_k weight(g) · (y_k − y_{k−1}) to the site's accumulator [P,T,W]. */
function accumulate(
  s: SiteName,
  yAll: tf.Tensor,
  gAll: tf.Tensor,
  C: number,
  P: number,
  rule: NigRule,
  acc: Map<SiteName, tf.Tensor>,
  prevY: Map<SiteName, tf.Tensor>,
  prevG: Map<SiteName, tf.Tensor>,
): void {
  const [, T, W] = yAll.shape as [number, number, number];
  const [sum, lastY, lastG] = tf.tidy(() => {
    const y = tf.reshape(yAll, [C, P, T, W]);
    const g = tf.reshape(gAll, [C, P, T, W]);
    const py = prevY.get(s);
    const pg = prevG.get(s);
    const next = pathSum(y, g, rule, py && pg ? { y: py, g: pg } : undefined, acc.get(s));
    return [next, tf.slice(y, [C - 1], [1]), tf.slice(g, [C - 1], [1])];
  });
  tf.dispose([acc.get(s), prevY.get(s), prevG.get(s)].filter((t): t is tf.Tensor => t !== undefined));
  acc.set(s, sum);
  prevY.set(s, lastY);
  prevG.set(s, lastG);
}

/** Word-embedding rows of `ids` ([P,T] row-major) as a flat Float32Array [P*T*H]. */
async function wordRows(model: BertModel, ids: Int32Array): Promise<Float32Array> {
  const t = tf.tidy(() => tf.gather(model.weights.wordEmbeddings, tf.tensor1d(ids, 'int32')));
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

/** x′ + α(x − x′) for each α, formed in float64 and rounded once, so α = 0 and 1 give x′ and x exactly. */
function pathPoints(x: Float32Array, x0: Float32Array, alphas: readonly number[]): Float32Array {
  const n = x.length;
  const out = new Float32Array(n * alphas.length);
  alphas.forEach((a, k) => {
    const off = k * n;
    for (let i = 0; i < n; i++) {
      const b = x0[i] as number;
      out[off + i] = b + a * ((x[i] as number) - b);
    }
  });
  return out;
}
