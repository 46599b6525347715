/**
 * `celens tokenize MODEL --pairs FILE.tsv [--out IN.safetensors]`: HF fast-tokenizer pair
 * encodings as JSON lines, or, with --out, as the padded safetensors batch that `forward` and
 * `attribute --inputs` read.
 */
import type { Argv, CommandModule } from 'yargs';
import {
  loadTokenizer,
  readMaxPositionEmbeddings,
  readPairsTsv,
  type Truncation,
} from '../../tokenize/tokenizer.js';
import { padBatch } from '../../tokenize/encode.js';
import { writeTokenBatch } from '../../model/inputs.js';
import { UsageError } from '../../errors.js';
import { modelDir, withHub, withTokenizer, tokenizerDir } from '../common.js';
import type { HubArgs, TokenizerArgs } from '../common.js';

interface TokenizeArgs extends HubArgs, TokenizerArgs {
  model: string;
  pairs: string;
  'max-length': number | undefined;
  truncation: Truncation;
  out: string | undefined;
}

const TRUNCATIONS: readonly Truncation[] = ['longest_first', 'only_second'];

/** Lines are flushed to stdout in groups of this many. */
const FLUSH_EVERY = 1000;

export const tokenizeCommand: CommandModule<object, TokenizeArgs> = {
  command: 'tokenize <model>',
  describe: 'encode query<TAB>passage pairs as [CLS] q [SEP] p [SEP], one JSON line per pair',
  builder: (y: Argv<object>): Argv<TokenizeArgs> =>
    withTokenizer(withHub(y))
      .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
      .option('pairs', { type: 'string', demandOption: true, describe: 'TSV file: query<TAB>passage per line' })
      .option('max-length', {
        type: 'number',
        describe: 'total tokens incl. specials (default: min(model_max_length, max_position_embeddings, 512))',
      })
      .option('truncation', {
        choices: TRUNCATIONS,
        default: 'longest_first' as Truncation,
        describe: 'HF truncation strategy',
      })
      .option('out', { type: 'string', describe: 'write IN.safetensors (input_ids, token_type_ids, attention_mask; I64 [pairs, longest]) for forward/attribute --inputs, instead of JSON lines' }),
  handler: async (argv) => {
    const dir = await modelDir(argv);
    const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), {
      maxPositionEmbeddings: await readMaxPositionEmbeddings(dir),
    });
    const pairs = await readPairsTsv(argv.pairs);
    const encodings = await tokenizer.encodePairs(pairs, {
      maxLength: argv['max-length'],
      truncation: argv.truncation,
    });
    if (argv.out !== undefined) {
      if (!argv.out.endsWith('.safetensors')) throw new UsageError('--out writes a .safetensors file (JSON lines go to stdout without --out)');
      // Padded as HF's padding=True pads: to the longest pair, with the tokenizer's [PAD].
      const batch = padBatch(encodings, tokenizer.padId);
      await writeTokenBatch(argv.out, batch);
      process.stderr.write(`celens: wrote ${batch.batch} pairs × ${batch.seqLen} tokens to ${argv.out}\n`);
      return;
    }
    for (let start = 0; start < encodings.length; start += FLUSH_EVERY) {
      const lines = encodings
        .slice(start, start + FLUSH_EVERY)
        .map((e) => `${JSON.stringify({ input_ids: e.inputIds, token_type_ids: e.tokenTypeIds })}\n`);
      process.stdout.write(lines.join(''));
    }
  },
};
