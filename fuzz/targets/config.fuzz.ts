/** config.json, as the model loader reads it and as the tokenizer loader peeks at it. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../src/weights/config.js';
import { readMaxPositionEmbeddings } from '../../src/tokenize/load.js';
import { onlyCelensErrors, scratch } from '../oracle.js';

export const dictionary = ['"num_hidden_layers"', '"hidden_size"', '"num_attention_heads"', '"intermediate_size"', '"celens_intermediate_sizes"', '"id2label"', '"num_labels"', '"pad_token_id"', '"vocab_size"', '"max_position_embeddings"', '"hidden_act"', '"gelu_new"', '"model_type"', '"layer_norm_eps"', 'null', '1e300', '[]', '{}', '"__proto__"'];

export async function fuzz(data: Buffer): Promise<void> {
  const file = join(scratch(), 'config.json');
  writeFileSync(file, data);
  await onlyCelensErrors(() => readConfig(file));
  await onlyCelensErrors(() => readMaxPositionEmbeddings(scratch()));
}
