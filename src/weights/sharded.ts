/**
 * Loading the weights of a model folder: `model.safetensors`, or a sharded checkpoint described by
 * `model.safetensors.index.json` (`{"metadata": {...}, "weight_map": {tensor: shard file}}`).
 */
import { access } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { SafetensorsError } from '../errors.js';
import { readText } from '../formats/files.js';
import { parseJson } from '../formats/json.js';
import { SafetensorsReader } from './safetensors.js';
import type { Tensor } from './safetensors.js';

export const WEIGHTS_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Parses a shard index; returns shard file → tensor names (in index order). */
export function parseShardIndex(text: string, file: string): Map<string, string[]> {
  const raw = parseJson(text, file, { error: SafetensorsError });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SafetensorsError('index is not a JSON object', { file });
  const map = (raw as { weight_map?: unknown }).weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new SafetensorsError('index has no "weight_map" object', { file });
  }
  const shards = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(map as Record<string, unknown>)) {
    // A plain file name in the model folder: no separators (either kind), no "." or "..", which
    // basename() lets through and which would point the reader at a directory.
    if (typeof shard !== 'string' || shard === '' || shard === '.' || shard === '..' || /[/\\\0]/.test(shard) || basename(shard) !== shard) {
      throw new SafetensorsError(`weight_map entry is not a file name in the same folder: ${JSON.stringify(shard)}`, { file, tensor });
    }
    const list = shards.get(shard) ?? [];
    list.push(tensor);
    shards.set(shard, list);
  }
  if (shards.size === 0) throw new SafetensorsError('index "weight_map" is empty', { file });
  return shards;
}

/** Reads the state dict of a model folder: `weightsFile` (default model.safetensors), else the shard index. */
export async function readStateDict(dir: string, weightsFile = WEIGHTS_FILE): Promise<{ state: Map<string, Tensor>; source: string }> {
  const single = join(dir, weightsFile);
  if (await exists(single)) {
    const r = await SafetensorsReader.open(single);
    try {
      return { state: await r.readAll(), source: single };
    } finally {
      await r.close();
    }
  }
  const indexFile = join(dir, INDEX_FILE);
  if (!(await exists(indexFile))) {
    throw new SafetensorsError(`no ${WEIGHTS_FILE} or ${INDEX_FILE} in the model folder`, { file: dir });
  }
  const shards = parseShardIndex(await readText(indexFile, { what: 'index', error: SafetensorsError }), indexFile);
  // Every shard must be there before any is read: a missing file is the first thing to report.
  for (const shard of shards.keys()) {
    if (!(await exists(join(dir, shard)))) throw new SafetensorsError(`shard named by the index is missing: ${shard}`, { file: indexFile });
  }
  const state = new Map<string, Tensor>();
  for (const [shard, names] of shards) {
    const path = join(dir, shard);
    const r = await SafetensorsReader.open(path);
    try {
      // Index and shard must agree exactly, checked on the headers before any data is read.
      for (const name of names) {
        if (!r.info(name)) throw new SafetensorsError(`the index puts this tensor in ${shard}, which does not hold it`, { file: indexFile, tensor: name });
      }
      const listed = new Set(names);
      for (const name of r.names) {
        if (!listed.has(name)) throw new SafetensorsError(`tensor not listed for this shard in ${INDEX_FILE}`, { file: path, tensor: name });
      }
      for (const name of names) state.set(name, await r.read(name));
    } finally {
      await r.close();
    }
  }
  return { state, source: indexFile };
}
