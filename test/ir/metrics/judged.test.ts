/** The RES_RELS join of trec_eval's form_res_rels.c. */
import { judgeRanking, NONPOOL, UNJUDGED } from '../../../src/ir/metrics/judged.js';
import { judged } from './helpers.js';

test('grades in trec_eval order, nonpool/unjudged markers, numRel at the level, ideal gains', () => {
  const j = judged(['a', 'x', 'u', 'b'], { a: 3, b: 0, c: 2, u: -1, d: 1 });
  expect(j.rels).toEqual([3, NONPOOL, UNJUDGED, 0]);
  expect(j.numRel).toBe(3); // a, c, d: grade ≥ 1; u (-1) is pooled but unjudged
  expect(j.idealGains).toEqual([3, 2, 1]);
  expect(judged(['a'], { a: 3, c: 2, d: 1 }, 2).numRel).toBe(2);
});

test('the order comes from the scores, not from the rank column', () => {
  const j = judgeRanking(new Map([['a', 1]]), [{ docid: 'a', score: 1, rank: 1 }, { docid: 'b', score: 5, rank: 2 }], 1);
  expect(j.rels).toEqual([NONPOOL, 1]);
});
