/** NovelEval-2306: SOURCE.md counts, grade histogram, the candidate lists. */
import path from 'node:path';
import { collectionStats } from '../../../src/ir/collection.js';
import { candidateRun, loadNovelEval } from '../../../src/ir/formats/noveleval.js';

test('shared noveleval-2306: 21 queries, 420 passages, 420 judgements (rel 0 = 290, 1 = 40, 2 = 90)', async () => {
  const c = await loadNovelEval(path.resolve(process.cwd(), '../shared/data/noveleval-2306'));
  expect(collectionStats(c)).toEqual({ queries: 21, docs: 420, judgements: 420, judgedQueries: 21, runQueries: 21, runEntries: 420 });
  const hist: Record<number, number> = {};
  for (const q of c.qrels.values()) for (const g of q.values()) hist[g] = (hist[g] ?? 0) + 1;
  expect(hist).toEqual({ 0: 290, 1: 40, 2: 90 });
  for (const [qid, entries] of c.run ?? []) {
    expect(entries).toHaveLength(20);
    expect(entries.every((e) => e.docid.startsWith(`${qid}-`) && c.qrels.get(qid)?.has(e.docid))).toBe(true);
  }
  expect(c.warnings).toEqual([]);
});

test('candidates follow corpus order; docids of unknown queries are left out', () => {
  const run = candidateRun(new Map([['1', 'q']]), new Map([['1-0', 'a'], ['1-1', 'b'], ['2-0', 'c']]));
  expect(run.get('1')?.map((e) => [e.docid, e.rank])).toEqual([['1-0', 1], ['1-1', 2]]);
  expect(run.get('1')?.[0]?.score).toBeGreaterThan(run.get('1')?.[1]?.score ?? Infinity);
});
