/** A model folder in HF layout (config.json + model.safetensors or shards) → a runnable BertModel. */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { readConfig } from '../weights/config.js';
import { paramsFromStateDict } from '../weights/hf-names.js';
import type { BertParams } from '../weights/hf-names.js';
import { readStateDict } from '../weights/sharded.js';
import type { BertModel } from './bert.js';
import { toWeights, weightTensors } from './params.js';

/** A model loaded from a folder: the BertModel to run, plus its float32 parameters and what the checkpoint held. */
export interface LoadedModel extends BertModel {
  params: BertParams;
  /** Keys in the checkpoint that the classifier does not use (e.g. `cls.*` MLM heads). */
  unused: string[];
  /** Dtypes of the stored weights, e.g. ['F32'] or ['BF16']. */
  dtypes: string[];
}

export interface LoadOptions {
  /** Weights file name inside the folder, instead of model.safetensors (e.g. model.f16.safetensors). */
  weightsFile?: string;
}

/** Loads a BertForSequenceClassification from a folder in Hugging Face layout (config.json, safetensors weights). */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const config = await readConfig(join(dir, 'config.json'));
  const { state, source } = await readStateDict(dir, opts.weightsFile);
  const { params, unused } = paramsFromStateDict(state, config, source);
  const dtypes = [...new Set([...state.values()].map((t) => t.dtype))].sort();
  return { config, weights: toWeights(params, config), source: dir, params, unused, dtypes };
}

/** Frees the model's weight tensors. */
export function disposeModel(m: BertModel): void {
  tf.dispose(weightTensors(m.weights));
}
