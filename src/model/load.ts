/** A model folder in HF layout (config.json + model.safetensors or shards) → a runnable BertModel. */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { readConfig } from '../weights/config.js';
import { paramsFromStateDict } from '../weights/hf-names.js';
import type { BertParams } from '../weights/hf-names.js';
import { readStateDict } from '../weights/sharded.js';
import type { BertModel } from './bert.js';
import type { BertConfig } from '../weights/config.js';
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

/**
 * A model folder opened without reading its weights: config and source now, the weights at the
 * first load() (once; later calls share it). For jobs that a worker pool may compute entirely,
 * each worker with its own copy: this thread then reads no weights it does not use, and leaves
 * its core to the workers while they load.
 */
export interface OpenedModel {
  config: BertConfig;
  /** Where the model came from, as BertModel.source. */
  source: string;
  load(): Promise<LoadedModel>;
  /** Frees the weights if load() was called (safe to call more than once). */
  dispose(): Promise<void>;
}

/** Opens a model folder: reads config.json now; the weights when load() is first called. */
export async function openModel(dir: string, opts: LoadOptions = {}): Promise<OpenedModel> {
  const config = await readConfig(join(dir, 'config.json'));
  let loading: Promise<LoadedModel> | undefined;
  let disposed = false;
  return {
    config,
    source: dir,
    load: () => (loading ??= loadModel(dir, opts)),
    dispose: async () => {
      if (loading === undefined || disposed) return;
      disposed = true;
      await loading.then(disposeModel, () => undefined);
    },
  };
}

/** A model to run now: `m` itself, or an opened model's weights (loaded at this call if not yet). */
export async function runnable(m: BertModel | OpenedModel): Promise<BertModel> {
  return 'weights' in m ? m : m.load();
}

/** Frees a model's weights: disposeModel, or an opened model's dispose(). */
export async function releaseModel(m: BertModel | OpenedModel): Promise<void> {
  if ('weights' in m) disposeModel(m);
  else await m.dispose();
}

/** Frees the model's weight tensors. */
export function disposeModel(m: BertModel): void {
  tf.dispose(weightTensors(m.weights));
}
