/** BertParams (plain arrays, HF layout) → the tfjs tensors the model runs on. */
import * as tf from '../backend/tf.js';
import type { BertConfig } from '../weights/config.js';
import type { BertParams, LinearParams, NormParams, Param } from '../weights/hf-names.js';
import type { Linear, Norm } from './ops.js';

export interface LayerWeights {
  query: Linear;
  key: Linear;
  value: Linear;
  attnOut: Linear;
  attnNorm: Norm;
  ffnIn: Linear;
  ffnOut: Linear;
  outNorm: Norm;
}

export interface BertWeights {
  wordEmbeddings: tf.Tensor2D;
  positionEmbeddings: tf.Tensor2D;
  tokenTypeEmbeddings: tf.Tensor2D;
  embeddingsNorm: Norm;
  layers: LayerWeights[];
  pooler: Linear;
  classifier: Linear;
}

export function toWeights(p: BertParams, c: BertConfig): BertWeights {
  return weightsFrom(p, c, (x) => tf.tensor(x.data, x.shape));
}

/** The weights with each tensor made by `tensor` from its Param (shape and where its data is). */
export function weightsFrom(p: BertParams, c: BertConfig, tensor: (x: Param) => tf.Tensor): BertWeights {
  // No tidy needed: every tensor made here is kept as a weight.
  {
    const t2 = (x: Param): tf.Tensor2D => tensor(x) as tf.Tensor2D;
    const t1 = (x: Param): tf.Tensor1D => tensor(x) as tf.Tensor1D;
    // One copy of each weight, as stored (ops.ts multiplies by it transposed).
    const linear = (x: LinearParams): Linear => ({ wT: t2(x.weight), b: t1(x.bias) });
    const norm = (x: NormParams): Norm => ({ gamma: t1(x.weight), beta: t1(x.bias), eps: c.layerNormEps });
    const w: BertWeights = {
      wordEmbeddings: t2(p.wordEmbeddings),
      positionEmbeddings: t2(p.positionEmbeddings),
      tokenTypeEmbeddings: t2(p.tokenTypeEmbeddings),
      embeddingsNorm: norm(p.embeddingsNorm),
      layers: p.layers.map((l) => ({
        query: linear(l.query),
        key: linear(l.key),
        value: linear(l.value),
        attnOut: linear(l.attnOut),
        attnNorm: norm(l.attnNorm),
        ffnIn: linear(l.ffnIn),
        ffnOut: linear(l.ffnOut),
        outNorm: norm(l.outNorm),
      })),
      pooler: linear(p.pooler),
      classifier: linear(p.classifier),
    };
    return w;
  }
}

/** Every tensor the weights own (for dispose and for counting). */
export function weightTensors(w: BertWeights): tf.Tensor[] {
  const lin = (x: Linear): tf.Tensor[] => (x.w === undefined || x.w === x.wT ? [x.wT, x.b] : [x.w, x.wT, x.b]);
  const norm = (x: Norm): tf.Tensor[] => [x.gamma, x.beta];
  return [
    w.wordEmbeddings,
    w.positionEmbeddings,
    w.tokenTypeEmbeddings,
    ...norm(w.embeddingsNorm),
    ...w.layers.flatMap((l) => [...lin(l.query), ...lin(l.key), ...lin(l.value), ...lin(l.attnOut), ...norm(l.attnNorm), ...lin(l.ffnIn), ...lin(l.ffnOut), ...norm(l.outNorm)]),
    ...lin(w.pooler),
    ...lin(w.classifier),
  ];
}
