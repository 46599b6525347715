/**
 * One training step's arithmetic, shared by the training script (scripts/train-cross-encoder.ts)
 * and its worker threads (./worker.ts): the loss and its gradients, clipping, AdamW, and the
 * combination of gradients computed on several threads. It lives under src/ (not scripts/) so
 * that `npm run build` compiles it to dist/ next to the worker, which cannot load .ts.
 */
import * as tf from '../backend/tf.js';
import { bertForward } from '../model/bert.js';
import type { TokenBatch } from '../tokenize/encode.js';
import { gradsByName } from './trainable.js';
import type { TrainableBert } from './trainable.js';

// ---------------------------------------------------------------------------------------------
// AdamW (Loshchilov & Hutter), written out so that its state can be checkpointed exactly.

export interface AdamState {
  step: number;
  m: Map<string, tf.Variable>;
  v: Map<string, tf.Variable>;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPS = 1e-8;

export function adamState(vars: ReadonlyMap<string, tf.Variable>): AdamState {
  const zeros = (): Map<string, tf.Variable> => new Map([...vars].map(([n, x]) => [n, tf.tidy(() => tf.variable(tf.zerosLike(x), false))]));
  return { step: 0, m: zeros(), v: zeros() };
}

/** No weight decay on biases, LayerNorm and embeddings' LayerNorm (BERT's recipe). */
function decays(name: string): boolean {
  return !/(bias|LayerNorm\.weight)$/.test(name);
}

export function adamwUpdate(vars: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, st: AdamState, lr: number, wd: number): void {
  st.step += 1;
  const c1 = 1 - BETA1 ** st.step;
  const c2 = 1 - BETA2 ** st.step;
  tf.tidy(() => {
    for (const [name, x] of vars) {
      const g = grads.get(name);
      if (!g) continue; // frozen
      const m = st.m.get(name) as tf.Variable;
      const v = st.v.get(name) as tf.Variable;
      m.assign(tf.add(tf.mul(m, BETA1), tf.mul(g, 1 - BETA1)));
      v.assign(tf.add(tf.mul(v, BETA2), tf.mul(tf.square(g), 1 - BETA2)));
      const upd = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), EPS));
      const decayed = decays(name) ? tf.mul(x, 1 - lr * wd) : x;
      x.assign(tf.sub(decayed, tf.mul(upd, lr)));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Loss and gradients

/** listwise: softmax cross-entropy over each group; hinge: pairwise margin 1 (positive vs each negative). */
export type Loss = 'listwise' | 'hinge';

/** A padded batch as the three int32 tensors the forward takes. */
export function batchTensors(b: TokenBatch): tf.Tensor2D[] {
  return [
    tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32'),
    tf.tensor2d(b.tokenTypeIds, [b.batch, b.seqLen], 'int32'),
    tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32'),
  ];
}

/**
 * Listwise softmax cross-entropy: the positive is passage 0 of each group, or, with `targets`
 * (groups × groupSize, each row a probability distribution, e.g. a teacher's softmax), the
 * cross-entropy −Σ tᵢ log pᵢ against those (a teacher's KL divergence up to its constant
 * entropy). Returns (loss, grads).
 */
export function lossAndGrads(tb: TrainableBert, inputs: tf.Tensor2D[], groups: number, groupSize: number, kind: Loss = 'listwise', frozen: ReadonlySet<string> = new Set(), targets?: Float32Array): { loss: number; grads: Map<string, tf.Tensor> } {
  if (targets && targets.length !== groups * groupSize) throw new Error(`targets: ${targets.length} values for ${groups} groups of ${groupSize}`);
  const [inputIds, tokenTypeIds, attentionMask] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const trained = [...tb.variables].filter(([n]) => !frozen.has(n));
  return gradsByName(trained, () => {
    const logits = tf.reshape(bertForward(tb.model, { inputIds, tokenTypeIds, attentionMask }), [groups, groupSize]);
    if (kind === 'hinge') {
      // Pairwise margin loss: mean over negatives of max(0, 1 − (s+ − s−)).
      const pos = tf.slice(logits, [0, 0], [groups, 1]);
      const neg = tf.slice(logits, [0, 1], [groups, groupSize - 1]);
      return tf.mean(tf.relu(tf.sub(1, tf.sub(pos, neg)))) as tf.Scalar;
    }
    const logp = tf.logSoftmax(logits, -1);
    if (targets) return tf.neg(tf.div(tf.sum(tf.mul(logp, tf.tensor2d(targets, [groups, groupSize]))), groups)) as tf.Scalar;
    return tf.neg(tf.mean(tf.slice(logp, [0, 0], [groups, 1]))) as tf.Scalar;
  });
}

/** Scales gradients so that their global L2 norm is at most `clip`; returns the norm before. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, clip: number): number {
  const norm = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))).dataSync()[0] as number);
  if (norm > clip) {
    for (const [n, g] of grads) {
      grads.set(n, tf.mul(g, clip / norm));
      g.dispose();
    }
  }
  return norm;
}

// ---------------------------------------------------------------------------------------------
// Data-parallel steps

/**
 * Sizes of `threads` contiguous shares of `groups` groups, the larger shares first (8 on 3
 * threads: 3, 3, 2). Contiguous and fixed, so that which thread sees which group is a pure
 * function of the step, as the groups themselves are.
 */
export function shareSizes(groups: number, threads: number): number[] {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (threads > groups) throw new Error(`${threads} threads for ${groups} groups per step: each thread needs at least one group`);
  const base = Math.floor(groups / threads);
  return Array.from({ length: threads }, (_v, i) => base + (i < groups % threads ? 1 : 0));
}

/** One share's result: its loss (a mean over its groups), its gradients, its number of groups. */
export interface ShareResult {
  loss: number;
  grads: ReadonlyMap<string, tf.Tensor>;
  groups: number;
}

/**
 * The full batch's loss and gradients from its shares': lossAndGrads averages over groups, so
 * the whole is Σ nᵢ·xᵢ / Σ nᵢ. Summed in share order, always the same, so that a fixed thread
 * count gives the same bytes every run; against one thread only the summation order differs.
 * A gradient missing from a share (none reached that variable) counts as zeros there.
 */
export function combineShares(shares: readonly ShareResult[]): { loss: number; grads: Map<string, tf.Tensor> } {
  const total = shares.reduce((s, r) => s + r.groups, 0);
  let loss = 0;
  for (const r of shares) loss += r.loss * r.groups;
  const names: string[] = [];
  for (const r of shares) for (const n of r.grads.keys()) if (!names.includes(n)) names.push(n);
  const grads = new Map<string, tf.Tensor>();
  for (const n of names) {
    grads.set(
      n,
      tf.tidy(() => {
        let acc: tf.Tensor | undefined;
        for (const r of shares) {
          const g = r.grads.get(n);
          if (!g) continue;
          const weighted = tf.mul(g, r.groups);
          acc = acc ? tf.add(acc, weighted) : weighted;
        }
        return tf.div(acc as tf.Tensor, total);
      }),
    );
  }
  return { loss: loss / total, grads };
}

/**
 * A 32-bit FNV-1a hash of the variables' bits, in map order: threads whose copies must stay
 * identical compare it (a float summed in another order would change it).
 */
export function weightsChecksum(vars: ReadonlyMap<string, tf.Variable>): number {
  let h = 0x811c9dc5;
  for (const x of vars.values()) {
    const f = x.dataSync() as Float32Array;
    const words = new Uint32Array(f.buffer, f.byteOffset, f.length);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ (words[i] as number), 0x01000193) >>> 0;
  }
  return h;
}
