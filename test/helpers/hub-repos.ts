/**
 * Model repositories for the stand-in Hub, built from the shared fixtures at test time: the
 * tiny-bert-ce weights with the ms-marco-MiniLM tokenizer files (same 30522-token vocabulary), and
 * a sharded variant whose index splits the same tensors over two files.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { serializeSafetensors } from '../../src/weights/safetensors-write.js';
import type { TensorToWrite } from '../../src/weights/safetensors-write.js';
import type { ServedRepo } from './hub-server.js';

const SHARED = resolve(process.cwd(), '../shared');
export const TINY = join(SHARED, 'fixtures/tiny-bert-ce');
export const MINILM = join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');

const read = (dir: string, f: string): Buffer => readFileSync(join(dir, f));

export const COMMIT_A = 'a'.repeat(40);
export const COMMIT_B = '0123456789abcdef0123456789abcdef01234567';

/** config.json, model.safetensors, the four tokenizer files, and two files that are not fetched. */
export function tinyRepo(id = 'celens-test/tiny-ce', commit = COMMIT_A): ServedRepo {
  return {
    id,
    commit,
    files: {
      'config.json': read(TINY, 'config.json'),
      'model.safetensors': read(TINY, 'model.safetensors'),
      'tokenizer.json': read(MINILM, 'tokenizer.json'),
      'tokenizer_config.json': read(MINILM, 'tokenizer_config.json'),
      'vocab.txt': read(MINILM, 'vocab.txt'),
      'special_tokens_map.json': read(MINILM, 'special_tokens_map.json'),
      'README.md': Buffer.from('# tiny cross-encoder\n'),
      'model.f16.safetensors': read(TINY, 'model.f16.safetensors'),
    },
  };
}

/** The same weights in model-00001-of-00002.safetensors and model-00002-of-00002.safetensors. */
export async function shardedRepo(id = 'celens-test/tiny-ce-sharded', commit = COMMIT_B): Promise<ServedRepo> {
  const { tensors } = await readSafetensors(join(TINY, 'model.safetensors'));
  const names = [...tensors.keys()].sort();
  const shardNames = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
  const shards = [new Map<string, TensorToWrite>(), new Map<string, TensorToWrite>()];
  const weightMap: Record<string, string> = {};
  names.forEach((name, i) => {
    const k = i < names.length / 2 ? 0 : 1;
    shards[k]?.set(name, tensors.get(name) as TensorToWrite);
    weightMap[name] = shardNames[k] as string;
  });
  const bytes = shards.map((s) => Buffer.from(serializeSafetensors(s, { format: 'pt' })));
  const index = { metadata: { total_size: bytes.reduce((s, b) => s + b.length, 0) }, weight_map: weightMap };
  return {
    id,
    commit,
    files: {
      'config.json': read(TINY, 'config.json'),
      'model.safetensors.index.json': Buffer.from(JSON.stringify(index, null, 2)),
      [shardNames[0] as string]: bytes[0] as Buffer,
      [shardNames[1] as string]: bytes[1] as Buffer,
      'vocab.txt': read(MINILM, 'vocab.txt'),
    },
  };
}
