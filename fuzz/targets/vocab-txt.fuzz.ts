/** A bare vocab.txt (BertConverter's path), seeded with ms-marco-MiniLM's first ids and some words. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratch } from '../oracle.js';
import { loadAndEncode } from './tokenizer.js';

export const dictionary = ['[UNK]\n', '[CLS]\n', '[SEP]\n', '[PAD]\n', '[MASK]\n', '##', '\r\n', '\n\n', '\u00a0', '\uFEFF'];

export async function fuzz(data: Buffer): Promise<void> {
  writeFileSync(join(scratch(), 'vocab.txt'), data);
  await loadAndEncode(scratch());
}
