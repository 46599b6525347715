/**
 * One name-keyed mechanism for reading sites and their gradients (TransformerLens run_with_cache):
 * capture any set of sites, and take the gradient of a scalar target (default: the summed logits)
 * with respect to any set of sites, all in one forward + one backward pass.
 *
 * Gradients w.r.t. an intermediate value use the zero-perturbation trick: the hook adds a zero
 * tensor δ at the site, and ∂target/∂δ = ∂target/∂site. No gradient ever flows into the
 * embedding table (wasm has no UnsortedSegmentSum for gather's gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { bertForward } from '../model/bert.js';
import type { BertInputs, BertModel, SiteHook } from '../model/bert.js';
import type { Masks } from '../model/masks.js';
import { parseSite, siteShape } from '../model/sites.js';
import type { SiteName } from '../model/sites.js';

export type Target = (logits: tf.Tensor2D) => tf.Scalar;

/** The sum over the batch of every logit (the fixture's gradient target). */
export const sumLogits: Target = (logits) => tf.sum(logits);

export interface RunOptions {
  capture?: readonly SiteName[];
  grad?: readonly SiteName[];
  masks?: Masks;
  /** Scalar to differentiate; default the sum of all logits. */
  target?: Target;
  /** Further interventions applied before capture (e.g. mean ablation). */
  hook?: SiteHook;
}

export interface RunResult {
  logits: tf.Tensor2D;
  captured: Map<SiteName, tf.Tensor>;
  grads: Map<SiteName, tf.Tensor>;
}

/** Runs the model once; the caller owns (and must dispose) every returned tensor: see disposeRun. */
export function runModel(model: BertModel, inputs: BertInputs, opts: RunOptions = {}): RunResult {
  const c = model.config;
  const [B, T] = inputs.inputIds.shape;
  const captureSet = new Set(opts.capture ?? []);
  const gradSites = [...new Set(opts.grad ?? [])];
  const captured = new Map<SiteName, tf.Tensor>();
  const makeHook = (deltas: Map<SiteName, tf.Tensor>): SiteHook => (site, value) => {
    let v = opts.hook ? opts.hook(site, value) : value;
    const d = deltas.get(site);
    if (d) v = tf.add(v, d) as typeof v;
    // Kept, not cloned: a clone is a copy on wasm, and the value is only read after the pass.
    if (captureSet.has(site)) captured.set(site, tf.keep(v));
    return v;
  };
  const masks = opts.masks;
  const fwd = (deltas: Map<SiteName, tf.Tensor>): tf.Tensor2D =>
    bertForward(model, inputs, { hook: makeHook(deltas), ...(masks && { masks }) });

  if (gradSites.length === 0) {
    const logits = tf.tidy(() => fwd(new Map()));
    return { logits, captured, grads: new Map() };
  }
  const zeros = gradSites.map((s) => tf.zeros(siteShape(parseSite(s, c), c, B, T)));
  const target = opts.target ?? sumLogits;
  let logits: tf.Tensor2D | undefined;
  try {
    const { value, grads } = tf.valueAndGrads((...ds: tf.Tensor[]) => {
      const out = fwd(new Map(gradSites.map((s, i) => [s, ds[i] as tf.Tensor])));
      logits = tf.keep(out);
      return target(out);
    })(zeros);
    value.dispose();
    return { logits: logits as tf.Tensor2D, captured, grads: new Map(gradSites.map((s, i) => [s, grads[i] as tf.Tensor])) };
  } catch (e) {
    // A gradient that throws leaves what it kept behind: free it before rethrowing.
    tf.dispose([...(logits ? [logits] : []), ...captured.values()]);
    throw e;
  } finally {
    tf.dispose(zeros);
  }
}

export function disposeRun(r: RunResult): void {
  tf.dispose([r.logits, ...r.captured.values(), ...r.grads.values()]);
}
