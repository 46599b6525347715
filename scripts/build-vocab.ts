/**
 * Builds the embedded model's WordPiece vocabulary from the training text only (TRAIN_SPLIT in
 * scripts/train-data.ts): words as the `tokenizers` binding's BERT uncased normaliser and
 * pre-tokeniser split them, merges by scripts/wordpiece-trainer.ts (HF's WordPiece algorithm with
 * deterministic tie-breaking). BERT's special tokens come first ([PAD] = 0), as in BERT.
 *
 *   node dist-all/scripts/build-vocab.js --data ../shared/data --out weights/celens-ce-tiny --size 8192
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { loadTrainData, vocabularyText } from './train-data.js';
import { countWords, trainWordPiece } from './wordpiece-trainer.js';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export function buildVocab(texts: readonly string[], size: number): string[] {
  const vocab = trainWordPiece(countWords(texts), { size, specials: SPECIALS });
  if (vocab.length < size) process.stderr.write(`note: only ${vocab.length} tokens could be learnt (< ${size})\n`);
  return vocab;
}

export async function writeVocab(out: string, vocab: readonly string[], maxLength: number): Promise<void> {
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'vocab.txt'), `${vocab.join('\n')}\n`);
  const config = { tokenizer_class: 'BertTokenizer', do_lower_case: true, strip_accents: null, tokenize_chinese_chars: true, model_max_length: maxLength, pad_token: '[PAD]', unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]', mask_token: '[MASK]' };
  await writeFile(join(out, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const special = { cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' };
  await writeFile(join(out, 'special_tokens_map.json'), `${JSON.stringify(special, null, 2)}\n`);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option('data', { type: 'string', default: '../shared/data', describe: 'the ../shared/data folder' })
    .option('out', { type: 'string', demandOption: true })
    .option('size', { type: 'number', default: 8192 })
    .option('max-length', { type: 'number', default: 128 })
    .strict()
    .parse();
  const data = await loadTrainData(argv.data);
  const texts = vocabularyText(data);
  const vocab = buildVocab(texts, argv.size);
  await writeVocab(argv.out, vocab, argv['max-length']);
  process.stderr.write(`vocabulary: ${vocab.length} tokens from ${texts.length} texts → ${join(argv.out, 'vocab.txt')}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, ''))) await main();
