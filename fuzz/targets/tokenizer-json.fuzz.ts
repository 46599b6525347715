/** tokenizer.json (the fast tokenizer file), seeded with a cut-down copy of ms-marco-MiniLM's. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratch } from '../oracle.js';
import { loadAndEncode } from './tokenizer.js';

export const dictionary = ['"normalizer"', '"BertNormalizer"', '"lowercase"', '"strip_accents"', '"model"', '"WordPiece"', '"vocab"', '"added_tokens"', '"[UNK]"', '"[CLS]"', '"[SEP]"', '"[PAD]"', '"post_processor"', '"pre_tokenizer"', '"decoder"', 'null', '-1', '4294967296'];
export const maxLen = 16384;

export async function fuzz(data: Buffer): Promise<void> {
  writeFileSync(join(scratch(), 'tokenizer.json'), data);
  await loadAndEncode(scratch());
}
