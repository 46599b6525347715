/** rank_llm retrieve_results JSON (queries, first-stage run and passages in one list). */
import { parseRankLlm } from '../../src/ir/formats/rankllm.js';
import { onlyCelensErrors } from '../oracle.js';

export const dictionary = ['"query"', '"hits"', '"content"', '"qid"', '"docid"', '"rank"', '"score"', 'null', '[]', '{}', '1e999', '-0', '"__proto__"', '"constructor"'];

export async function fuzz(data: Buffer): Promise<void> {
  await onlyCelensErrors(() => parseRankLlm(data.toString('utf8'), 'retrieve_results.json'));
}
