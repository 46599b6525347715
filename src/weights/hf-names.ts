/**
 * Hugging Face state-dict names → the tensors BertForSequenceClassification needs, checked against
 * the config the way nanoGPT's from_pretrained does: every expected key present with the expected
 * shape, nothing unexpected inside the model's own namespace. Accepts names with or without the
 * `bert.` prefix and legacy `LayerNorm.gamma/beta`; ignores `embeddings.position_ids`.
 */
import { WeightsError } from '../errors.js';
import type { BertConfig } from './config.js';
import { isFloatDtype } from './dtypes.js';
import type { Tensor } from './safetensors.js';

export interface Param {
  shape: number[];
  data: Float32Array;
}

export interface LinearParams {
  /** HF layout [out, in]. */
  weight: Param;
  bias: Param;
}

export interface NormParams {
  weight: Param;
  bias: Param;
}

export interface LayerParams {
  query: LinearParams;
  key: LinearParams;
  value: LinearParams;
  attnOut: LinearParams;
  attnNorm: NormParams;
  ffnIn: LinearParams;
  ffnOut: LinearParams;
  outNorm: NormParams;
}

export interface BertParams {
  wordEmbeddings: Param;
  positionEmbeddings: Param;
  tokenTypeEmbeddings: Param;
  embeddingsNorm: NormParams;
  layers: LayerParams[];
  pooler: LinearParams;
  classifier: LinearParams;
}

/** Keys we accept and do not use. */
const IGNORED = /^(bert\.)?embeddings\.position_ids$/;
/** Pre-training heads found in some checkpoints: not part of the classifier, reported, not loaded. */
const FOREIGN = /^cls\./;

export interface ParamsResult {
  params: BertParams;
  /** Keys present in the file(s) that the classifier does not use (e.g. MLM heads). */
  unused: string[];
}

/** Maps a state dict (name → tensor, as read) onto BertParams, validating names and shapes. */
export function paramsFromStateDict(state: Map<string, Tensor>, c: BertConfig, source = 'weights'): ParamsResult {
  const prefixed = [...state.keys()].some((k) => k.startsWith('bert.'));
  const used = new Set<string>();
  const get = (name: string, shape: number[]): Param => {
    const candidates = [name];
    if (name.endsWith('LayerNorm.weight')) candidates.push(name.replace(/weight$/, 'gamma'));
    if (name.endsWith('LayerNorm.bias')) candidates.push(name.replace(/bias$/, 'beta'));
    const keys = candidates.map((n) => (prefixed && !n.startsWith('classifier.') ? `bert.${n}` : n));
    const key = keys.find((k) => state.has(k));
    const t = key === undefined ? undefined : state.get(key);
    if (key === undefined || t === undefined) {
      throw new WeightsError('missing tensor', { file: source, tensor: keys[0] as string, expected: JSON.stringify(shape), found: 'nothing' });
    }
    used.add(key);
    if (!isFloatDtype(t.dtype)) {
      throw new WeightsError('weights must be a float dtype', { file: source, tensor: key, expected: 'F32|F16|BF16|F64', found: t.dtype });
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new WeightsError('shape does not match config.json', { file: source, tensor: key, expected: JSON.stringify(shape), found: JSON.stringify(t.shape) });
    }
    // A state dict built by hand (not read from a file) could disagree with its own shape.
    const n = shape.reduce((x, y) => x * y, 1);
    if (t.data.length !== n) {
      throw new WeightsError('data length does not match the shape', { file: source, tensor: key, expected: `${n}`, found: `${t.data.length}` });
    }
    return { shape: t.shape, data: t.data as Float32Array };
  };
  const linear = (name: string, out: number, inp: number): LinearParams => ({
    weight: get(`${name}.weight`, [out, inp]),
    bias: get(`${name}.bias`, [out]),
  });
  const norm = (name: string, n: number): NormParams => ({ weight: get(`${name}.weight`, [n]), bias: get(`${name}.bias`, [n]) });
  const H = c.hiddenSize;
  const params: BertParams = {
    wordEmbeddings: get('embeddings.word_embeddings.weight', [c.vocabSize, H]),
    positionEmbeddings: get('embeddings.position_embeddings.weight', [c.maxPositionEmbeddings, H]),
    tokenTypeEmbeddings: get('embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]),
    embeddingsNorm: norm('embeddings.LayerNorm', H),
    layers: c.intermediateSizes.map((I, l) => {
      const p = `encoder.layer.${l}`;
      return {
        query: linear(`${p}.attention.self.query`, H, H),
        key: linear(`${p}.attention.self.key`, H, H),
        value: linear(`${p}.attention.self.value`, H, H),
        attnOut: linear(`${p}.attention.output.dense`, H, H),
        attnNorm: norm(`${p}.attention.output.LayerNorm`, H),
        ffnIn: linear(`${p}.intermediate.dense`, I, H),
        ffnOut: linear(`${p}.output.dense`, H, I),
        outNorm: norm(`${p}.output.LayerNorm`, H),
      };
    }),
    pooler: linear('pooler.dense', H, H),
    classifier: linear('classifier', c.numLabels, H),
  };
  const unused: string[] = [];
  for (const k of state.keys()) {
    if (used.has(k) || IGNORED.test(k)) continue;
    if (FOREIGN.test(k)) {
      unused.push(k);
      continue;
    }
    throw new WeightsError('unexpected tensor: the weights do not match config.json (more layers or another architecture?)', { file: source, tensor: k });
  }
  return { params, unused };
}

/** Parameter count per group, for `celens inspect`. */
export function countParams(p: BertParams): { embeddings: number; encoder: number; head: number; total: number } {
  const n = (x: Param): number => x.data.length;
  const lin = (x: LinearParams): number => n(x.weight) + n(x.bias);
  const embeddings = n(p.wordEmbeddings) + n(p.positionEmbeddings) + n(p.tokenTypeEmbeddings) + lin(p.embeddingsNorm);
  const encoder = p.layers.reduce(
    (s, l) => s + lin(l.query) + lin(l.key) + lin(l.value) + lin(l.attnOut) + lin(l.attnNorm) + lin(l.ffnIn) + lin(l.ffnOut) + lin(l.outNorm),
    0,
  );
  const head = lin(p.pooler) + lin(p.classifier);
  return { embeddings, encoder, head, total: embeddings + encoder + head };
}
