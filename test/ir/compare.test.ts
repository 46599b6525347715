/** compareRuns / compareEvaluations, the library side of `celens compare`. */
import type { Qrels, Run } from '../../src/ir/collection.js';
import { compareRuns } from '../../src/ir/compare.js';

/** Four queries, one relevant doc each; a run puts it at the given ranks (0: not retrieved). */
const qrels: Qrels = new Map(['a', 'b', 'c', 'd'].map((q) => [q, new Map([['rel', 1], ['x', 0], ['y', 0]])]));
function run(ranks: Record<string, number>): Run {
  return new Map(Object.entries(ranks).map(([q, r]) => {
    const docs = ['x', 'y'];
    if (r > 0) docs.splice(r - 1, 0, 'rel');
    return [q, docs.map((docid, i) => ({ docid, score: 10 - i, rank: i + 1 }))];
  }));
}

test('rows per measure then run, means over the shared queries, tests not asked are null', () => {
  const base = run({ a: 3, b: 2, c: 3, d: 2 });
  const up = run({ a: 1, b: 1, c: 2 }); // no d
  const cmp = compareRuns(qrels, [{ name: 'base', run: base }, { name: 'up', run: up }, { name: 'base2', run: base }], { metrics: ['RR', 'P@1'], tests: ['t'] });
  expect(cmp.baseline).toBe('base');
  expect(cmp.queries).toEqual({ up: 3, base2: 4 });
  expect(cmp.rows.map((r) => `${r.measure} ${r.run}`)).toEqual(['RR up', 'RR base2', 'P@1 up', 'P@1 base2']);
  const rr = cmp.rows[0];
  expect(rr?.baselineMean).toBeCloseTo((1 / 3 + 1 / 2 + 1 / 3) / 3, 15); // d left out
  expect(rr?.mean).toBeCloseTo((1 + 1 + 1 / 2) / 3, 15);
  expect(rr?.p.randomization).toBeNull();
  expect(rr?.pAdjusted.randomization).toBeNull();
  expect(cmp.rows[1]?.p.t).toBe(1);
});

test('refusals: one run, a name twice, no shared query', () => {
  const r = run({ a: 1 });
  expect(() => compareRuns(qrels, [{ name: 'r', run: r }])).toThrow(/at least one run, found 1 run$/);
  expect(() => compareRuns(qrels, [{ name: 'r', run: r }, { name: 'r', run: r }])).toThrow(/run r given twice/);
  expect(() => compareRuns(qrels, [{ name: 'r', run: r }, { name: 's', run: run({ b: 1 }) }])).toThrow(/s and the baseline r have no evaluated query in common/);
});
