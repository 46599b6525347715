/**
 * evaluate(): trec_eval's conventions on hand-made cases, and parity with trec_eval's figures
 * on the shared BM25 runs (the table and the SOURCE.md files).
 */
import path from 'node:path';
import { CelensError, UsageError } from '../../../src/errors.js';
import type { Qrels, Run } from '../../../src/ir/collection.js';
import { evaluate } from '../../../src/ir/metrics/evaluate.js';
import { readQrels, readRun } from '../../../src/ir/trec.js';
import { ranked } from './helpers.js';

const DATA = path.resolve(process.cwd(), '../shared/data');

function qrelsOf(o: Record<string, Record<string, number>>): Qrels {
  return new Map(Object.entries(o).map(([q, g]) => [q, new Map(Object.entries(g))]));
}

describe('trec_eval conventions', () => {
  const qrels = qrelsOf({ '1': { a: 1, b: 0 }, '2': { c: 0 }, '3': { d: 2 } });
  const run: Run = new Map([
    ['1', ranked(['b', 'a'])],
    ['2', ranked(['c'])],
    ['9', ranked(['a'])],
  ]);

  test('run qids without qrels are skipped; judged qids with no relevant doc count as 0', () => {
    const ev = evaluate(qrels, run, { metrics: ['AP', 'RR', 'nDCG@10'] });
    expect(ev.numQueries).toBe(2);
    expect([...ev.perQuery.keys()]).toEqual(['1', '2']);
    expect(ev.perQuery.get('2')).toEqual({ AP: 0, RR: 0, 'nDCG@10': 0 });
    expect(ev.aggregate.RR).toBeCloseTo((1 / 2 + 0) / 2, 15);
    expect(ev.skipped).toEqual({ noQrels: ['9'], noRun: ['3'] });
  });

  test('complete (-c) averages over every judged query, missing ones scoring 0', () => {
    const ev = evaluate(qrels, run, { metrics: ['RR'], complete: true });
    expect(ev.numQueries).toBe(3);
    expect(ev.aggregate.RR).toBeCloseTo(0.5 / 3, 15);
  });

  test('ties are broken by docno descending, whatever the rank column says', () => {
    const tied: Run = new Map([['1', [{ docid: 'a', score: 1, rank: 1 }, { docid: 'b', score: 1, rank: 2 }]]]);
    // b sorts before a, so the only relevant doc (a) is at rank 2.
    expect(evaluate(qrelsOf({ '1': { a: 1 } }), tied, { metrics: ['RR'] }).aggregate.RR).toBeCloseTo(0.5, 15);
    expect(evaluate(qrelsOf({ '1': { b: 1 } }), tied, { metrics: ['RR'] }).aggregate.RR).toBe(1);
  });

  test('per-query order is strcmp order, as trec_eval prints it', () => {
    const q = qrelsOf({ '9': { a: 1 }, '10': { a: 1 }, '1': { a: 1 } });
    const r: Run = new Map(['9', '10', '1'].map((id) => [id, ranked(['a'])]));
    expect([...evaluate(q, r, { metrics: ['RR'] }).perQuery.keys()]).toEqual(['1', '10', '9']);
  });

  test('per-measure relevance levels and names', () => {
    const ev = evaluate(qrelsOf({ '1': { a: 1, b: 2 } }), new Map([['1', ranked(['a', 'b'])]]), { metrics: ['RR', 'RR(rel=2)', 'nDCG@2'], relLevel: 1 });
    expect(ev.measures).toEqual(['RR', 'RR(rel=2)', 'nDCG@2']);
    // nDCG@2 of [a (grade 1), b (grade 2)]: trec_eval's linear gains over log2(rank + 1), ideal order [b, a].
    expect(ev.aggregate).toEqual({ RR: 1, 'RR(rel=2)': 0.5, 'nDCG@2': expect.closeTo((1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)), 12) as number });
    expect(evaluate(qrelsOf({ '1': { a: 1 } }), new Map([['1', ranked(['a'])]]), { metrics: ['AP'], relLevel: 2 }).measures).toEqual(['AP(rel=2)']);
  });

  test('errors', () => {
    expect(() => evaluate(qrels, new Map([['7', ranked(['a'])]]))).toThrow(CelensError);
    expect(() => evaluate(qrels, run, { metrics: ['AP', 'AP'] })).toThrow(UsageError);
    expect(() => evaluate(qrels, run, { metrics: [] })).toThrow(UsageError);
    expect(() => evaluate(qrels, run, { relLevel: 1.5 })).toThrow(UsageError);
  });
});

describe('parity with trec_eval on the shared BM25 runs', () => {
  const cases = [
    { name: 'DL19', dir: 'trec-dl-2019-passage', qrels: 'qrels.dl19-passage.txt', run: 'trec_results_dl19.txt', q: 43, l1: { 'nDCG@10': 0.5058, AP: 0.2993, RR: 0.8245, 'P@10': 0.6186, 'R@100': 0.4531 }, l2: { 'AP(rel=2)': 0.2476, 'RR(rel=2)': 0.7036, 'RR(rel=2)@10': 0.7024 } },
    { name: 'DL20', dir: 'trec-dl-2020-passage', qrels: 'qrels.dl20-passage.txt', run: 'trec_results_dl20.txt', q: 54, l1: { 'nDCG@10': 0.4796, AP: 0.3027, RR: 0.8269, 'P@10': 0.5389, 'R@100': 0.4834 }, l2: { 'AP(rel=2)': 0.2685, 'RR(rel=2)': 0.6583, 'RR(rel=2)@10': 0.6533 } },
  ];
  test.each(cases)('$name: the issue figures (RR@10 at level 2 from SOURCE.md), to 4 decimals', async (c) => {
    const qrels = await readQrels(path.join(DATA, c.dir, c.qrels));
    const run = await readRun(path.join(DATA, c.dir, c.run));
    const ev1 = evaluate(qrels, run, { metrics: Object.keys(c.l1) });
    const ev2 = evaluate(qrels, run, { metrics: ['AP', 'RR', 'RR@10'], relLevel: 2 });
    expect(ev1.numQueries).toBe(c.q);
    // toBeCloseTo(x, 4) is |got − x| < 5e-5: the same number to trec_eval's printed 4 decimals.
    for (const [m, v] of Object.entries(c.l1)) expect([m, ev1.aggregate[m]]).toEqual([m, expect.closeTo(v, 4) as number]);
    for (const [m, v] of Object.entries(c.l2)) expect([m, ev2.aggregate[m]]).toEqual([m, expect.closeTo(v, 4) as number]);
  });
});
