/** Tie groups that reach into the top k. */
import type { Run } from '../../src/ir/collection.js';
import { describeTies, findTopKTies } from '../../src/ir/ties.js';

const e = (docid: string, score: number): { docid: string; score: number; rank: number } => ({ docid, score, rank: 0 });

test('groups inside the top k, across rank k, and below it', () => {
  const run: Run = new Map([
    ['q1', [e('a', 5), e('b', 4), e('c', 4), e('d', 3), e('e', 2), e('f', 2), e('g', 2)]],
    ['q2', [e('a', 3), e('b', 2), e('c', 1), e('d', 1)]],
    ['q0', [e('a', 1), e('b', 0.5)]],
  ]);
  const r = findTopKTies(run, 5);
  expect(r.groups).toEqual([
    { qid: 'q1', score: 4, docids: ['c', 'b'], firstRank: 2, lastRank: 3, crossesCutoff: false },
    { qid: 'q1', score: 2, docids: ['g', 'f', 'e'], firstRank: 5, lastRank: 7, crossesCutoff: true },
    { qid: 'q2', score: 1, docids: ['d', 'c'], firstRank: 3, lastRank: 4, crossesCutoff: false },
  ]);
  expect([r.queries, r.queriesWithTies, r.queriesCrossing]).toEqual([3, 2, 1]);
  expect(findTopKTies(run, 2).groups).toHaveLength(1); // only q1's b/c, crossing rank 2
  expect(describeTies(r, 'run.txt')).toBe(
    'run.txt: tied scores decide the top 5 in 2 of 3 queries (1 cross rank 5); trec_eval orders ties by docno, descending; e.g. qid q1: 3 docs at score 2 (ranks 5-7)',
  );
});

test('no ties below the cutoff: no warning', () => {
  const run: Run = new Map([['q', [e('a', 3), e('b', 2), e('c', 1), e('d', 1)]]]);
  expect(describeTies(findTopKTies(run, 2), 'r')).toBeUndefined();
});
