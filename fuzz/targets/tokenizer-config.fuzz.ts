/** tokenizer_config.json beside a small valid vocab.txt. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratch } from '../oracle.js';
import { loadAndEncode } from './tokenizer.js';

export const dictionary = ['"model_max_length"', '"do_lower_case"', '"strip_accents"', '"tokenize_chinese_chars"', '"tokenizer_class"', '"unk_token"', '"cls_token"', '"sep_token"', '"pad_token"', '"mask_token"', '{"content": "[X]"}', 'null', '1e309', '0', '"BertTokenizerFast"'];

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'flea', 'life', 'the', 'is', '##s', 'how', 'long', 'year', 'can', 'live', 'up', 'to', 'of', 'cycle'].join('\n');
let written = false;

export async function fuzz(data: Buffer): Promise<void> {
  if (!written) writeFileSync(join(scratch(), 'vocab.txt'), `${VOCAB}\n`);
  written = true;
  writeFileSync(join(scratch(), 'tokenizer_config.json'), data);
  await loadAndEncode(scratch());
}
