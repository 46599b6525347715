/** Shared by the tokenizer targets: load a folder and encode a few pairs, one of them empty. */
import { loadTokenizer } from '../../src/tokenize/load.js';
import { onlyCelensErrors } from '../oracle.js';

const PAIRS: Array<[string, string]> = [
  ['how long is the life cycle of a flea', 'a flea can live up to a year'],
  ['', ''],
  ['caf\u00e9 \u00fcber \u4e2d\u6587 \u0000\u0007', 'line\r\nbreaks\tand [SEP] tokens [CLS]'],
];

export async function loadAndEncode(dir: string): Promise<void> {
  await onlyCelensErrors(async () => {
    const tok = await loadTokenizer(dir, { maxPositionEmbeddings: 128 });
    const encs = await tok.encodePairs(PAIRS, { maxLength: 12 });
    for (const e of encs) if (e.inputIds.length > 12) throw new Error(`encoding of ${e.inputIds.length} tokens exceeds max length 12`);
  });
}
