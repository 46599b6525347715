/**
 * One name-keyed mechanism for reading sites and their gradients (TransformerLens run_with_cache):
 * capture any set of sites, and take the gradient of a scalar target (default: the summed logits)
 * with respect to any set of sites, all in one forward + one backward pass.
 *
 * Gradients w.r.t. an intermediate value use the zero-perturbation trick: the hook adds a zero
 * tensor δ at the site, and ∂target/∂δ = ∂target/∂site. No gradient ever flows into the
 * embedding table (wasm has no UnsortedSegmentSum for gather's gradient).
 *
 * Every site named here (capture, grad, interventions; names or globs such as `layer.*.ffn.post`)
 * is checked by resolveSites, the one check the CLI uses too: an unknown name or a layer the model
 * lacks is a SiteError before any work, never silently ignored.
 */
import * as tf from '../backend/tf.js';
import { bertForward } from '../model/bert.js';
import type { BertInputs, BertModel, SiteHook } from '../model/bert.js';
import type { Masks } from '../model/masks.js';
import { ShapeError, SiteError } from '../errors.js';
import { parseSite, resolveSites, siteShape } from '../model/sites.js';
import type { SiteName, SitePattern } from '../model/sites.js';

export type Target = (logits: tf.Tensor2D) => tf.Scalar;

/** The sum over the batch of every logit (the fixture's gradient target). */
const sumLogits: Target = (logits) => tf.sum(logits);

/** Replaces the value at a site (TransformerLens' fwd_hooks): must return a tensor of the same shape. */
export type SiteIntervention = (value: tf.Tensor, site: SiteName) => tf.Tensor;

/** What runModel reads, differentiates or replaces: sites or globs to capture, sites for gradients, interventions, masks. */
export interface RunOptions {
  /** Sites to return, by name or glob. */
  capture?: readonly SitePattern[];
  /** Sites to differentiate the target with respect to, by name or glob. */
  grad?: readonly SitePattern[];
  masks?: Masks;
  /** Scalar to differentiate; default the sum of all logits. */
  target?: Target;
  /**
   * Named interventions: site name or glob → function of the site's value. They act after `hook`
   * and before capture and gradients (so a captured site holds the value the model went on with).
   */
  interventions?: Readonly<Record<string, SiteIntervention>>;
  /** Further interventions on every site, applied first (e.g. mean ablation). */
  hook?: SiteHook;
}

/** The logits of a run, with the captured site values and gradients by site name (free with disposeRun). */
export interface RunResult {
  logits: tf.Tensor2D;
  captured: Map<SiteName, tf.Tensor>;
  grads: Map<SiteName, tf.Tensor>;
}

/** Runs the model once; the caller owns (and must dispose) every returned tensor: see disposeRun. */
export function runModel(model: BertModel, inputs: BertInputs, opts: RunOptions = {}): RunResult {
  const c = model.config;
  const [B, T] = inputs.inputIds.shape;
  // Checked before anything is allocated, so a bad name leaves nothing behind.
  const captureSet = new Set(resolveSites(opts.capture ?? [], c));
  const gradSites = resolveSites(opts.grad ?? [], c);
  const edits = new Map<SiteName, SiteIntervention>();
  for (const [pattern, fn] of Object.entries(opts.interventions ?? {})) {
    for (const s of resolveSites([pattern], c)) {
      if (edits.has(s)) throw new SiteError(`two interventions name site '${s}' (one per site; compose them in one function)`);
      edits.set(s, fn);
    }
  }
  const captured = new Map<SiteName, tf.Tensor>();
  // A wrong shape is reported after the pass, not thrown inside it: a throw under the gradient
  // tape would strand the tensors tfjs saved for the backward pass.
  let failure: ShapeError | undefined;
  const makeHook = (deltas: Map<SiteName, tf.Tensor>): SiteHook => (site, value) => {
    let v = opts.hook ? opts.hook(site, value) : value;
    const edit = edits.get(site);
    if (edit && failure === undefined) {
      const e = edit(v, site);
      if (e.shape.length !== v.shape.length || e.shape.some((n, i) => n !== v.shape[i])) {
        failure = new ShapeError(`intervention on site '${site}' returned shape [${e.shape.join(', ')}], the site has [${v.shape.join(', ')}]`);
      } else {
        v = e as typeof v;
      }
    }
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
    try {
      const logits = tf.tidy(() => fwd(new Map()));
      if (failure) {
        tf.dispose(logits);
        throw failure;
      }
      return { logits, captured, grads: new Map() };
    } catch (e) {
      // An intervention that throws leaves the captures kept so far: free them before rethrowing.
      tf.dispose([...captured.values()]);
      throw e;
    }
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
    if (failure) {
      tf.dispose(grads);
      throw failure;
    }
    return { logits: logits as tf.Tensor2D, captured, grads: new Map(gradSites.map((s, i) => [s, grads[i] as tf.Tensor])) };
  } catch (e) {
    // A gradient that throws leaves what it kept behind: free it before rethrowing.
    tf.dispose([...(logits ? [logits] : []), ...captured.values()]);
    throw e;
  } finally {
    tf.dispose(zeros);
  }
}

/** Frees every tensor of a runModel result. */
export function disposeRun(r: RunResult): void {
  tf.dispose([r.logits, ...r.captured.values(), ...r.grads.values()]);
}
