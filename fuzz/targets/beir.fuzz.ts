/** BEIR corpus/queries JSONL and qrels TSV. */
import { parseBeirJsonl, parseBeirQrels } from '../../src/ir/formats/beir.js';
import { onlyCelensErrors } from '../oracle.js';

export const dictionary = ['"_id"', '"text"', '"title"', 'query-id\tcorpus-id\tscore\n', '\t', '{}', 'null', '[]', '1e999', '"__proto__"', '\r\n'];

export async function fuzz(data: Buffer): Promise<void> {
  const text = data.toString('utf8');
  await onlyCelensErrors(() => parseBeirJsonl(text, 'corpus.jsonl'));
  await onlyCelensErrors(() => parseBeirQrels(text, 'qrels/test.tsv'));
}
