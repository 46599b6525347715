/**
 * Masked-language-model pre-training (BERT's first stage): the masking rule and BertForPreTraining's
 * MLM head with its loss, for scripts/train-cross-encoder.ts `--objective mlm` and its worker
 * threads. The head is HF's `cls.predictions` (transform: dense → GELU → LayerNorm; decoder: the
 * word embeddings, tied, plus a bias), under HF's names, so a pre-trained folder loads as a
 * cross-encoder (the loader sets `cls.*` aside) and `--init-from` takes its encoder.
 */
import * as tf from '../backend/tf.js';
import { encoderStage, forwardContext } from '../model/bert.js';
import type { Linear, Norm } from '../model/ops.js';
import { mulberry32 } from '../util/random.js';
import type { TokenBatch } from '../tokenize/encode.js';
import { gradsByName } from './trainable.js';
import type { TrainableBert } from './trainable.js';

/** The MLM head's tensors (HF names and shapes) for hidden size H and vocabulary V. */
export function mlmHeadShapes(H: number, V: number): Map<string, number[]> {
  return new Map([
    ['cls.predictions.transform.dense.weight', [H, H]],
    ['cls.predictions.transform.dense.bias', [H]],
    ['cls.predictions.transform.LayerNorm.weight', [H]],
    ['cls.predictions.transform.LayerNorm.bias', [H]],
    ['cls.predictions.bias', [V]],
  ]);
}

/** transformers' _init_weights for the head: dense N(0, std), LayerNorm 1 and 0, biases 0. */
export function randomMlmHead(H: number, V: number, seed: number, std = 0.02): Map<string, { shape: number[]; data: Float32Array }> {
  const rng = mulberry32(seed ^ 0x6d4c4d);
  const normal = (): number => {
    // Box–Muller from two uniforms in (0, 1].
    const u = 1 - rng();
    const v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, shape] of mlmHeadShapes(H, V)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('dense.weight')) for (let i = 0; i < n; i++) data[i] = normal() * std;
    else if (name.endsWith('LayerNorm.weight')) data.fill(1);
    out.set(name, { shape, data });
  }
  return out;
}

export interface MaskingOptions {
  /** Share of (non-special) tokens predicted. @default 0.15 */
  rate?: number;
  /** The [MASK] id. */
  maskId: number;
  /** Ids never chosen for prediction nor drawn as random replacements ([PAD], [UNK], [CLS], [SEP], [MASK]). */
  specialIds: readonly number[];
  vocabSize: number;
}

export interface MaskedBatch {
  batch: TokenBatch;
  /** Flat positions (b·T + t) of the predicted tokens, ascending. */
  positions: Int32Array;
  /** Their original ids. */
  labels: Int32Array;
}

/**
 * BERT's masking: each real, non-special token is chosen with probability `rate` (at least one per
 * sequence that has any); a chosen token becomes [MASK] 80% of the time, a random non-special
 * id 10%, itself 10%. Sequence s draws from its own generator, seeded `seedOf(s)`, so a sequence's
 * masking does not depend on the batch it is in. The input batch is not modified.
 */
export function maskBatch(b: TokenBatch, seedOf: (sequence: number) => number, o: MaskingOptions): MaskedBatch {
  const rate = o.rate ?? 0.15;
  if (!(rate > 0 && rate < 1)) throw new Error(`mask rate must be in (0, 1), got ${rate}`);
  const special = new Set(o.specialIds);
  const ordinary: number[] = [];
  for (let id = 0; id < o.vocabSize; id++) if (!special.has(id)) ordinary.push(id);
  const ids = Int32Array.from(b.inputIds);
  const positions: number[] = [];
  for (let s = 0; s < b.batch; s++) {
    const rng = mulberry32(seedOf(s));
    const candidates: number[] = [];
    for (let t = 0; t < b.seqLen; t++) {
      const k = s * b.seqLen + t;
      if (b.attentionMask[k] === 1 && !special.has(b.inputIds[k] as number)) candidates.push(k);
    }
    const chosen = candidates.filter(() => rng() < rate);
    if (chosen.length === 0 && candidates.length > 0) chosen.push(candidates[Math.floor(rng() * candidates.length)] as number);
    chosen.sort((x, y) => x - y);
    for (const k of chosen) {
      const r = rng();
      if (r < 0.8) ids[k] = o.maskId;
      else if (r < 0.9) ids[k] = ordinary[Math.floor(rng() * ordinary.length)] as number;
    }
    positions.push(...chosen);
  }
  const labels = Int32Array.from(positions, (k) => b.inputIds[k] as number);
  return { batch: { ...b, inputIds: ids, tokenTypeIds: Int32Array.from(b.tokenTypeIds), attentionMask: Int32Array.from(b.attentionMask) }, positions: Int32Array.from(positions), labels };
}

/** The head's parameters as the forward reads them, from a trainable model's variables. */
function head(tb: TrainableBert): { transform: Linear; norm: Norm; bias: tf.Tensor1D } {
  const v = (n: string): tf.Variable => {
    const x = tb.variables.get(n);
    if (!x) throw new Error(`the model has no ${n}: MLM training needs the head (--objective mlm adds it)`);
    return x;
  };
  const w = v('cls.predictions.transform.dense.weight') as unknown as tf.Tensor2D;
  return {
    transform: { w, wT: w, b: v('cls.predictions.transform.dense.bias') as unknown as tf.Tensor1D },
    norm: { gamma: v('cls.predictions.transform.LayerNorm.weight') as unknown as tf.Tensor1D, beta: v('cls.predictions.transform.LayerNorm.bias') as unknown as tf.Tensor1D, eps: tb.model.config.layerNormEps },
    bias: v('cls.predictions.bias') as unknown as tf.Tensor1D,
  };
}

/** log p(token) over the vocabulary at `positions` of the encoder's output: [M, V]. Call inside a tidy or tape. */
export function mlmLogProbs(tb: TrainableBert, inputs: tf.Tensor2D[], positions: tf.Tensor1D): tf.Tensor2D {
  const [inputIds, tokenTypeIds, attentionMask] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const ctx = forwardContext(tb.model, attentionMask);
  const x = tf.gather(encoderStage(ctx, { inputIds, tokenTypeIds, attentionMask }), positions) as tf.Tensor2D;
  const h = head(tb);
  const t = ctx.ops.layerNorm(ctx.ops.activation(ctx.ops.linear(x, h.transform), tb.model.config.hiddenAct), h.norm);
  // The decoder is the word-embedding table, tied (HF's default); an explicit transpose keeps the
  // gradient a plain matMul on wasm.
  const logits = tf.add(tf.matMul(t, tf.transpose(tb.model.weights.wordEmbeddings)), h.bias);
  return tf.logSoftmax(logits, -1) as tf.Tensor2D;
}

/**
 * Mean cross-entropy of the masked tokens' original ids, and its gradients by HF name (every
 * variable, the head included). `labels[i]` is the id at flat position `positions[i]`.
 */
export function mlmLossAndGrads(tb: TrainableBert, inputs: tf.Tensor2D[], positions: Int32Array, labels: Int32Array, frozen: ReadonlySet<string> = new Set()): { loss: number; grads: Map<string, tf.Tensor> } {
  if (positions.length !== labels.length || positions.length === 0) throw new Error(`MLM: ${positions.length} positions for ${labels.length} labels (need as many, at least one)`);
  const V = tb.model.config.vocabSize;
  const pos = tf.tensor1d(positions, 'int32');
  const onehot = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), V), 'float32'));
  try {
    // Frozen parameters (--freeze, --freeze-qk-layers) take no gradient, so AdamW leaves them alone.
    return gradsByName([...tb.variables].filter(([n]) => !frozen.has(n)), () => tf.neg(tf.div(tf.sum(tf.mul(mlmLogProbs(tb, inputs, pos), onehot)), positions.length)) as tf.Scalar);
  } finally {
    tf.dispose([pos, onehot]);
  }
}
