/**
 * The same BertForSequenceClassification with its parameters as tf.Variables, for training
 * (scripts/train-cross-encoder.ts). Variables are named by their Hugging Face state-dict names;
 * a linear weight is held as [in, out] (the transpose of HF's [out, in]) because that is what the
 * forward multiplies by, and turned back on save. The forward is bert.ts' own code: the model
 * carries training's primitives (./ops.ts), whose gradients reach the weights.
 */
import * as tf from '../backend/tf.js';
import type { BertConfig } from '../weights/config.js';
import type { TensorToWrite } from '../weights/safetensors-write.js';
import type { BertModel } from '../model/bert.js';
import type { Linear, Norm } from '../model/ops.js';
import type { BertWeights } from '../model/params.js';
import { TRAINING_OPS } from './ops.js';

export interface TrainableBert {
  model: BertModel;
  /** HF name → variable (linear weights transposed to [in, out]). */
  variables: Map<string, tf.Variable>;
}

/** HF state-dict names whose variable is stored transposed. */
function isLinearWeight(name: string): boolean {
  return /(query|key|value|dense|classifier)\.weight$/.test(name);
}

/** A state-dict tensor in the variable's layout (linear weights transposed). Call inside tf.tidy. */
function variableLayout(name: string, t: { shape: readonly number[]; data: Float32Array }): tf.Tensor {
  const x = tf.tensor(t.data, [...t.shape]);
  return isLinearWeight(name) ? tf.transpose(x) : x;
}

/** Builds variables from a state dict in HF layout (F32 data). */
export function trainableBert(config: BertConfig, state: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, source = 'training'): TrainableBert {
  const variables = new Map<string, tf.Variable>();
  const get = (name: string): tf.Variable => {
    const t = state.get(name);
    if (!t) throw new Error(`state dict has no ${name}`);
    const v = tf.tidy(() => tf.variable(variableLayout(name, t), true));
    variables.set(name, v);
    return v;
  };
  const lin = (n: string): Linear => {
    const w = get(`${n}.weight`) as unknown as tf.Tensor2D;
    return { w, wT: w, b: get(`${n}.bias`) as unknown as tf.Tensor1D };
  };
  const norm = (n: string): Norm => ({ gamma: get(`${n}.weight`) as unknown as tf.Tensor1D, beta: get(`${n}.bias`) as unknown as tf.Tensor1D, eps: config.layerNormEps });
  const e = 'bert.embeddings';
  const weights: BertWeights = {
    wordEmbeddings: get(`${e}.word_embeddings.weight`) as unknown as tf.Tensor2D,
    positionEmbeddings: get(`${e}.position_embeddings.weight`) as unknown as tf.Tensor2D,
    tokenTypeEmbeddings: get(`${e}.token_type_embeddings.weight`) as unknown as tf.Tensor2D,
    embeddingsNorm: norm(`${e}.LayerNorm`),
    layers: Array.from({ length: config.numLayers }, (_v, l) => {
      const p = `bert.encoder.layer.${l}`;
      return {
        query: lin(`${p}.attention.self.query`),
        key: lin(`${p}.attention.self.key`),
        value: lin(`${p}.attention.self.value`),
        attnOut: lin(`${p}.attention.output.dense`),
        attnNorm: norm(`${p}.attention.output.LayerNorm`),
        ffnIn: lin(`${p}.intermediate.dense`),
        ffnOut: lin(`${p}.output.dense`),
        outNorm: norm(`${p}.output.LayerNorm`),
      };
    }),
    pooler: lin('bert.pooler.dense'),
    classifier: lin('classifier'),
  };
  // An MLM head (./mlm.ts), when the state dict has one: trained beside the encoder, never read by the forward.
  for (const name of [...state.keys()].filter((n) => n.startsWith('cls.predictions.')).sort()) get(name);
  return { model: { config, weights, source, ops: TRAINING_OPS }, variables };
}

/** The variables back in HF layout and names, ready for writeSafetensors. */
export function stateDictOf(variables: ReadonlyMap<string, tf.Variable>): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, v] of variables) {
    const t = isLinearWeight(name) ? tf.transpose(v) : v.clone();
    const data = t.dataSync() as Float32Array;
    t.dispose();
    const shape = isLinearWeight(name) ? [...v.shape].reverse() : [...v.shape];
    out.set(name, { dtype: 'F32', shape, data: Float32Array.from(data) });
  }
  return out;
}

/** Overwrites the variables from a state dict in HF layout (a checkpoint being resumed). */
export function assignStateDict(variables: ReadonlyMap<string, tf.Variable>, state: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>, source: string): void {
  for (const [name, v] of variables) {
    const t = state.get(name);
    if (!t) throw new Error(`${source}: no tensor ${name}`);
    tf.tidy(() => {
      const y = variableLayout(name, t);
      if (y.shape.join(',') !== v.shape.join(',')) throw new Error(`${source}: ${name} has shape [${t.shape.join(', ')}], the model needs another`);
      v.assign(y);
    });
  }
}

/**
 * Runs `f` under a gradient tape for `vars` (HF name → variable) and returns its value and the
 * gradients keyed by HF name again (tf.variableGrads keys them by tfjs' variable names); a
 * variable `f` does not reach has no entry.
 */
export function gradsByName(vars: ReadonlyArray<readonly [string, tf.Variable]>, f: () => tf.Scalar): { loss: number; grads: Map<string, tf.Tensor> } {
  const { value, grads } = tf.variableGrads(f, vars.map(([, v]) => v));
  const loss = value.dataSync()[0] as number;
  value.dispose();
  const byName = new Map<string, tf.Tensor>();
  for (const [n, v] of vars) {
    const g = grads[v.name];
    if (g) byName.set(n, g);
  }
  return { loss, grads: byName };
}
