/** model.safetensors.index.json: shard file names must stay inside the model folder. */
import { parseShardIndex } from '../../src/weights/sharded.js';
import { onlyCelensErrors } from '../oracle.js';

export const dictionary = ['"weight_map"', '"metadata"', '".."', '"."', '"a/b"', '"a\\\\b"', '"\\u0000"', '"__proto__"', '"model.safetensors"', '{}', '[]', 'null'];

export async function fuzz(data: Buffer): Promise<void> {
  await onlyCelensErrors(() => parseShardIndex(data.toString('utf8'), 'model.safetensors.index.json'));
}
