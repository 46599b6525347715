/**
 * The `celens rerank` journal (run.txt.partial): a resume over a crafted journal must either
 * finish with a score for every candidate or refuse the file.
 */
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rerank } from '../../src/ir/rerank.js';
import type { PairScorer } from '../../src/ir/rerank.js';
import type { Run } from '../../src/ir/collection.js';
import { onlyCelensErrors, scratch } from '../oracle.js';

export const dictionary = ['\t', '\n', 'q1\td1\t', 'q2\td3\t', '1e999', 'NaN', '-0', '0x1', '{"celens":"rerank"'];

const run: Run = new Map([
  ['q1', [{ docid: 'd1', score: 3, rank: 1 }, { docid: 'd2', score: 2, rank: 2 }, { docid: 'd3', score: 1, rank: 3 }]],
  ['q2', [{ docid: 'd3', score: 9, rank: 1 }, { docid: 'd1', score: 9, rank: 2 }]],
]);
const collection = {
  name: 'fuzz',
  run,
  queries: new Map([['q1', 'flea life cycle'], ['q2', 'wifi vs bluetooth']]),
  docs: new Map([['d1', 'a flea lives a year'], ['d2', 'bluetooth is short range'], ['d3', 'caf\u00e9']]),
};
const scorer: PairScorer = async (pairs) => pairs.map(([q, d]) => (q.length * 31 + d.length) / 7);
const options = (journal: string): Parameters<typeof rerank>[2] => ({ journal, chunkSize: 2, topK: 10, scorerId: { model: 'fuzz' } });

/** The journal an uninterrupted run leaves (the CLI deletes it afterwards; here it is kept). */
export async function seedJournal(): Promise<string> {
  const journal = join(scratch(), 'seed.partial');
  rmSync(journal, { force: true });
  await rerank(collection, scorer, options(journal));
  return readFileSync(journal, 'utf8');
}

export async function fuzz(data: Buffer): Promise<void> {
  const journal = join(scratch(), 'run.txt.partial');
  writeFileSync(journal, data);
  await onlyCelensErrors(async () => {
    const res = await rerank(collection, scorer, options(journal));
    const n = [...res.run.values()].reduce((a, e) => a + e.length, 0);
    if (!res.complete || n !== 5) throw new Error(`a resumed rerank finished with ${n} of 5 scores`);
  });
}
