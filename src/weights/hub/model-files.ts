/**
 * Which files of a repository make a celens model folder: config.json, the tokenizer files that
 * are there, and the safetensors weights (model.safetensors, else the shard index and every
 * shard it names). Other files (pytorch_model.bin, ONNX exports, READMEs) are not fetched.
 */
import { parseShardIndex, INDEX_FILE, WEIGHTS_FILE } from '../sharded.js';
import { HubError } from './errors.js';
import type { RepoEntry } from './repo-info.js';
import { TOKENIZER_FILES } from '../../tokenize/files.js';

const CONFIG_FILE = 'config.json';

export interface ModelFilePlan {
  /** config.json, the tokenizer files and model.safetensors, in that order. */
  files: RepoEntry[];
  /** The shard index, when the weights are sharded: fetch it, then `shardFiles`. */
  index?: RepoEntry;
}

/** `place` names the repository in messages, e.g. `org/name@<commit>`. */
export function planModelFiles(listing: Map<string, RepoEntry>, place: string): ModelFilePlan {
  const config = listing.get(CONFIG_FILE);
  if (!config) throw new HubError(`the repository has no ${CONFIG_FILE}`, { file: place });
  const files = [config, ...TOKENIZER_FILES.flatMap((f) => listing.get(f) ?? [])];
  const single = listing.get(WEIGHTS_FILE);
  if (single) return { files: [...files, single] };
  const index = listing.get(INDEX_FILE);
  if (index) return { files, index };
  throw new HubError(`the repository has no ${WEIGHTS_FILE} or ${INDEX_FILE} (celens reads safetensors weights only)`, { file: place });
}

/** The shards the downloaded index names, each of which the listing must hold. */
export function shardFiles(indexText: string, indexFile: string, listing: Map<string, RepoEntry>): RepoEntry[] {
  return [...parseShardIndex(indexText, indexFile).keys()].map((shard) => {
    const entry = listing.get(shard);
    if (!entry) throw new HubError(`the index names a shard the repository does not have: ${shard}`, { file: indexFile });
    return entry;
  });
}
