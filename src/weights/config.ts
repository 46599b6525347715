/**
 * config.json → a validated BertConfig. Only what BertForSequenceClassification needs, with HF's
 * defaults (transformers/models/bert/configuration_bert.py). Anything celens cannot run exactly is
 * a ConfigError, never a silent approximation.
 */
import { ConfigError } from '../errors.js';
import { readJsonFile } from '../formats/json.js';

export type HiddenAct = 'gelu' | 'gelu_new' | 'relu';
const HIDDEN_ACTS: readonly HiddenAct[] = ['gelu', 'gelu_new', 'relu'];

const INT32_MAX = 2 ** 31 - 1;
/** More layers than any BERT has (BERT-large: 24); a bound, not a model limit anyone reaches. */
export const MAX_LAYERS = 1000;

/** A model's config.json, checked and in camelCase (with per-layer FFN widths). */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** One FFN width per layer; equal unless the model was exported pruned (`celens_intermediate_sizes`). */
  intermediateSizes: number[];
  hiddenAct: HiddenAct;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  numLabels: number;
  /** The config.json object as read, for round-tripping unknown keys. */
  raw: Record<string, unknown>;
}

export function headSize(c: BertConfig): number {
  return c.hiddenSize / c.numHeads;
}

export async function readConfig(file: string): Promise<BertConfig> {
  return parseConfig(await readJsonFile(file, { what: 'config', error: ConfigError }), file);
}

export function parseConfig(raw: unknown, file = 'config.json'): BertConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('not a JSON object', { file });
  const o = raw as Record<string, unknown>;
  // An absent key takes HF's default; a present one (even null) must be valid: "hidden_size": null
  // would break HF too, and defaulting it would be a silent guess. pad_token_id is the exception
  // (see below).
  // Sizes are bounded before anything is allocated from them (a crafted num_hidden_layers of 1e9
  // would otherwise allocate gigabytes of per-layer arrays): int32, as tfjs shapes and ids are.
  const int = (key: string, dflt?: number, min = 1, max = INT32_MAX): number => {
    const v = Object.prototype.hasOwnProperty.call(o, key) ? o[key] : dflt;
    if (v === undefined) throw new ConfigError(`missing "${key}"`, { file });
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new ConfigError(`"${key}" must be an integer >= ${min}`, { file, found: JSON.stringify(v) });
    }
    if (v > max) throw new ConfigError(`"${key}" must be at most ${max}`, { file, found: JSON.stringify(v) });
    return v;
  };
  const modelType = o.model_type ?? 'bert';
  if (modelType !== 'bert') {
    throw new ConfigError('unsupported model_type', { file, expected: '"bert"', found: JSON.stringify(modelType) });
  }
  const hiddenAct = o.hidden_act ?? 'gelu';
  if (typeof hiddenAct !== 'string' || !(HIDDEN_ACTS as readonly string[]).includes(hiddenAct)) {
    throw new ConfigError('unsupported hidden_act', { file, expected: HIDDEN_ACTS.join('|'), found: JSON.stringify(hiddenAct) });
  }
  const posType = o.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') {
    throw new ConfigError('unsupported position_embedding_type', { file, expected: '"absolute"', found: JSON.stringify(posType) });
  }
  if (o.is_decoder === true || o.add_cross_attention === true) throw new ConfigError('decoder BERT models are not supported', { file });
  const hiddenSize = int('hidden_size', 768);
  const numHeads = int('num_attention_heads', 12);
  if (hiddenSize % numHeads !== 0) {
    throw new ConfigError(`hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`, { file });
  }
  const numLayers = int('num_hidden_layers', 12, 1, MAX_LAYERS);
  const intermediate = int('intermediate_size', 3072);
  const intermediateSizes = parsePerLayer(o.celens_intermediate_sizes, numLayers, intermediate, file);
  const layerNormEps = Object.prototype.hasOwnProperty.call(o, 'layer_norm_eps') ? o.layer_norm_eps : 1e-12;
  if (typeof layerNormEps !== 'number' || !(layerNormEps > 0)) {
    throw new ConfigError('"layer_norm_eps" must be a positive number', { file, found: JSON.stringify(layerNormEps) });
  }
  const vocabSize = int('vocab_size', 30522);
  // pad_token_id: null is legal in HF (no padding_idx); it never changes a logit, so use BERT's 0.
  const padTokenId = o.pad_token_id === null ? 0 : int('pad_token_id', 0, 0);
  if (padTokenId >= vocabSize) throw new ConfigError(`"pad_token_id" ${padTokenId} is outside the vocabulary (${vocabSize})`, { file });
  return {
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    intermediateSizes,
    hiddenAct: hiddenAct as HiddenAct,
    maxPositionEmbeddings: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps,
    padTokenId,
    numLabels: numLabels(o, file),
    raw: o,
  };
}

/**
 * As PretrainedConfig.__init__: id2label, when present, decides (num_labels is then only checked,
 * HF warns and overrides it); else num_labels; else 2. save_pretrained writes only id2label.
 */
function numLabels(o: Record<string, unknown>, file: string): number {
  let n: number | undefined;
  if (o.num_labels !== undefined) {
    const v = o.num_labels;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ConfigError('"num_labels" must be an integer >= 1', { file, found: JSON.stringify(v) });
    n = v;
  }
  if (o.id2label !== undefined && o.id2label !== null) {
    if (typeof o.id2label !== 'object' || Array.isArray(o.id2label)) throw new ConfigError('"id2label" must be an object', { file });
    const keys = Object.keys(o.id2label);
    if (keys.length < 1) throw new ConfigError('"id2label" is empty', { file });
    // HF turns every key into an int; one that is not an integer fails there too.
    const bad = keys.find((k) => !/^-?\d+$/.test(k));
    if (bad !== undefined) throw new ConfigError(`"id2label" key ${JSON.stringify(bad)} is not an integer`, { file });
    return keys.length;
  }
  return n ?? 2;
}

function parsePerLayer(v: unknown, layers: number, dflt: number, file: string): number[] {
  if (v === undefined) return new Array<number>(layers).fill(dflt);
  if (!Array.isArray(v) || v.length !== layers || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    throw new ConfigError(`"celens_intermediate_sizes" must list ${layers} non-negative integers`, { file, found: JSON.stringify(v) });
  }
  return v as number[];
}
