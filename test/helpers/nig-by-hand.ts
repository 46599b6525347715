/**
 * NIG from first principles, for tests: one plain runModel call per path point reads each site y
 * and its gradient g = ∂F/∂y at x′ + α(x − x′) (no chunks, no carried-over points, nothing of the
 * engine's), and the rule's Riemann–Stieltjes sum Σ_k w(g)·(y_{k+1} − y_k) is formed in float64.
 */
import * as tf from '../../src/backend/tf.js';
import { runModel, disposeRun } from '../../src/hooks/run.js';
import { baselineIds } from '../../src/attribution/baselines.js';
import type { BaselineKind } from '../../src/attribution/baselines.js';
import { defaultTarget, targetValues } from '../../src/attribution/targets.js';
import type { NigRule } from '../../src/attribution/nig.js';
import type { BertModel } from '../../src/model/bert.js';
import type { SiteName } from '../../src/model/sites.js';
import type { TokenBatch } from '../../src/tokenize/encode.js';

/** F per row, and y and g per site ([P,T,W] row-major, zero on padding), at one α. */
export interface PathPoint {
  alpha: number;
  F: Float64Array;
  y: Map<SiteName, Float32Array>;
  g: Map<SiteName, Float32Array>;
}

export async function pathPoint(model: BertModel, batch: TokenBatch, baseline: BaselineKind, alpha: number, sites: readonly SiteName[]): Promise<PathPoint> {
  const { batch: P, seqLen: T } = batch;
  const H = model.config.hiddenSize;
  const rows = async (ids: Int32Array): Promise<Float32Array> => {
    const t = tf.tidy(() => tf.gather(model.weights.wordEmbeddings, tf.tensor1d(ids, 'int32')));
    const d = (await t.data()) as Float32Array;
    t.dispose();
    return d;
  };
  const x = await rows(batch.inputIds);
  const base = baselineIds(baseline, batch, { pad: model.config.padTokenId });
  const x0 = base ? await rows(base) : new Float32Array(x.length);
  const words = Float32Array.from(x, (v, i) => (x0[i] as number) + alpha * (v - (x0[i] as number)));
  const inputs = {
    inputIds: tf.tensor2d(batch.inputIds, [P, T], 'int32'),
    tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, [P, T], 'int32'),
    attentionMask: tf.tensor2d(batch.attentionMask, [P, T], 'int32'),
    wordEmbeddings: tf.tensor3d(words, [P, T, H]),
  };
  const spec = defaultTarget(model.config);
  const r = runModel(model, inputs, { capture: sites, grad: sites, target: (logits) => tf.sum(targetValues(spec, logits)) });
  try {
    const f = tf.tidy(() => targetValues(spec, r.logits));
    const F = Float64Array.from(await f.data());
    f.dispose();
    const read = async (t: tf.Tensor): Promise<Float32Array> => {
      const d = Float32Array.from(await t.data());
      const W = d.length / (P * T);
      for (let i = 0; i < P * T; i++) if (batch.attentionMask[i] === 0) d.fill(0, i * W, (i + 1) * W);
      return d;
    };
    const y = new Map<SiteName, Float32Array>();
    const g = new Map<SiteName, Float32Array>();
    for (const s of sites) {
      y.set(s, await read(r.captured.get(s) as tf.Tensor));
      g.set(s, await read(r.grads.get(s) as tf.Tensor));
    }
    return { alpha, F, y, g };
  } finally {
    disposeRun(r);
    tf.dispose(Object.values(inputs));
  }
}

/** The points of a grid, in order. */
export async function pathPoints(model: BertModel, batch: TokenBatch, baseline: BaselineKind, alphas: readonly number[], sites: readonly SiteName[]): Promise<PathPoint[]> {
  const out: PathPoint[] = [];
  for (const a of alphas) out.push(await pathPoint(model, batch, baseline, a, sites));
  return out;
}

/** Σ_k w(g)·(y_{k+1} − y_k) over consecutive points, per token and neuron ([P,T,W]), in float64. */
export function nigByHand(points: readonly PathPoint[], site: SiteName, rule: NigRule): Float64Array {
  const n = (points[0]?.y.get(site) as Float32Array).length;
  const out = new Float64Array(n);
  for (let k = 0; k + 1 < points.length; k++) {
    const [a, b] = [points[k] as PathPoint, points[k + 1] as PathPoint];
    const ya = a.y.get(site) as Float32Array;
    const yb = b.y.get(site) as Float32Array;
    const ga = a.g.get(site) as Float32Array;
    const gb = b.g.get(site) as Float32Array;
    for (let i = 0; i < n; i++) {
      const w = rule === 'right' ? (gb[i] as number) : rule === 'left' ? (ga[i] as number) : 0.5 * ((ga[i] as number) + (gb[i] as number));
      out[i] = (out[i] as number) + w * ((yb[i] as number) - (ya[i] as number));
    }
  }
  return out;
}

/** Per row: Σ over tokens of [P,T,W] values, [P][W]. */
export function sumTokens(v: ArrayLike<number>, P: number, T: number): Float64Array[] {
  const W = v.length / (P * T);
  return Array.from({ length: P }, (_r, p) => {
    const s = new Float64Array(W);
    for (let t = 0; t < T; t++) for (let j = 0; j < W; j++) s[j] = (s[j] as number) + (v[(p * T + t) * W + j] as number);
    return s;
  });
}
