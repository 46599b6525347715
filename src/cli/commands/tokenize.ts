/** `celens tokenize MODEL --pairs FILE.tsv`: HF fast-tokenizer pair encodings as JSON lines. */
import type { Argv, CommandModule } from 'yargs';
import {
  loadTokenizer,
  readMaxPositionEmbeddings,
  readPairsTsv,
  type Truncation,
} from '../../tokenize/tokenizer.js';
import { modelDir, withHub, withTokenizer, tokenizerDir } from '../common.js';
import type { HubArgs, TokenizerArgs } from '../common.js';

interface TokenizeArgs extends HubArgs, TokenizerArgs {
  model: string;
  pairs: string;
  'max-length': number | undefined;
  truncation: Truncation;
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
      }),
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
    for (let start = 0; start < encodings.length; start += FLUSH_EVERY) {
      const lines = encodings
        .slice(start, start + FLUSH_EVERY)
        .map((e) => `${JSON.stringify({ input_ids: e.inputIds, token_type_ids: e.tokenTypeIds })}\n`);
      process.stdout.write(lines.join(''));
    }
  },
};
