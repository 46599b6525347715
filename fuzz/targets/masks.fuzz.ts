/** Mask JSON (`--mask`), checked against a 3-layer, 4-head, 64-neuron config like the fixture's. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMasks } from '../../src/model/masks.js';
import { parseConfig } from '../../src/weights/config.js';
import { onlyCelensErrors, scratch } from '../oracle.js';

export const dictionary = ['"layer.0.ffn"', '"layer.2.attn.heads"', '"layer.3.ffn"', '"layer.01.ffn"', '"layer.-1.ffn"', '[]', '[63]', '[64]', '[-0]', '[1.5]', '[1e999]', 'null', '"__proto__"'];

const CONFIG = parseConfig({ hidden_size: 32, num_hidden_layers: 3, num_attention_heads: 4, intermediate_size: 64, vocab_size: 100 }, 'config.json');

export async function fuzz(data: Buffer): Promise<void> {
  const file = join(scratch(), 'mask.json');
  writeFileSync(file, data);
  await onlyCelensErrors(() => readMasks(file, CONFIG));
}
