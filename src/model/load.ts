/** A model folder in HF layout (config.json + model.safetensors or shards) → a runnable BertModel. */
import * as tf from '../backend/tf.js';
import { join } from 'node:path';
import { readConfig } from '../weights/config.js';
import { paramsFromStateDict } from '../weights/hf-names.js';
import type { BertParams } from '../weights/hf-names.js';
import { exists, readStateDict, WEIGHTS_FILE } from '../weights/sharded.js';
import { SafetensorsReader } from '../weights/safetensors.js';
import { LITTLE_ENDIAN } from '../weights/dtypes.js';
import type { Tensor } from '../weights/safetensors.js';
import type { WasmBackendLike } from '../backend/heap-module.js';
import type { BertModel } from './bert.js';
import type { BertConfig } from '../weights/config.js';
import { toWeights, weightsFrom, weightTensors } from './params.js';

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
 * loadModel for a thread that only computes (a worker of a pool): the same checks and the same
 * weights, without `params`, and on the wasm backend each float32 tensor of a single
 * model.safetensors is read from the file straight into its place on the heap, with no JS copy
 * first (for MiniLM ≈ 90 MiB of fresh pages and ≈ 0.3 s less per thread). Other dtypes, sharded
 * folders and other backends go through loadModel.
 */
export async function loadModelForCompute(dir: string, opts: LoadOptions = {}): Promise<BertModel> {
  const single = join(dir, opts.weightsFile ?? WEIGHTS_FILE);
  if (tf.getBackend() !== 'wasm' || !LITTLE_ENDIAN || !(await exists(single))) return computeOnly(await loadModel(dir, opts));
  // config.json first, as loadModel reads it (its errors come before the weights').
  const config = await readConfig(join(dir, 'config.json'));
  const r = await SafetensorsReader.open(single);
  const made: tf.Tensor[] = [];
  try {
    if (r.header.tensors.some((t) => t.dtype !== 'F32')) return computeOnly(await loadModel(dir, opts));
    // loadModel's checks (names, dtypes, shapes against config.json) run on the header alone: each
    // tensor's data is a view of one buffer that is never written, known afterwards by identity.
    const blank = new ArrayBuffer(Math.max(0, ...r.header.tensors.map((t) => t.end - t.begin)));
    const keyOf = new Map<unknown, string>();
    const state = new Map<string, Tensor>();
    for (const t of r.header.tensors) {
      const data = new Float32Array(blank, 0, (t.end - t.begin) / 4);
      keyOf.set(data, t.name);
      state.set(t.name, { dtype: t.dtype, shape: [...t.shape], data });
    }
    const { params } = paramsFromStateDict(state, config, single);
    const backend = tf.backend() as unknown as WasmBackendLike;
    const weights = weightsFrom(params, config, (p) => {
      const info = backend.makeOutput([...p.shape], 'float32');
      const t = tf.engine().makeTensorFromTensorInfo(info);
      made.push(t);
      // The view is taken after makeOutput (which may grow the heap) and read into at once.
      const view = backend.typedArrayFromHeap(info);
      r.readIntoSync(keyOf.get(p.data) as string, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      return t;
    });
    return { config, weights, source: dir };
  } catch (e) {
    tf.dispose(made);
    throw e;
  } finally {
    await r.close();
  }
}

/** A loaded model without its float32 copies (params) and file facts: what computing needs. */
function computeOnly(m: LoadedModel): BertModel {
  const { params: _params, unused: _unused, dtypes: _dtypes, ...model } = m;
  return model;
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
