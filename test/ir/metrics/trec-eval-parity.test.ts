/**
 * evaluate() against trec_eval's own output (test/fixtures/trec_eval, made by NIST's trec_eval 10.0-rc3;
 * its README gives the commands): every measure of every query and the `all` line, to trec_eval's 4
 * printed decimals, on DL19 and DL20 BM25 runs, at relevance levels 1 and 2, with a cutoff run (-M 10)
 * and on a run whose order is mostly decided by trec_eval's tie rule.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Run } from '../../../src/ir/collection.js';
import { evaluate } from '../../../src/ir/metrics/evaluate.js';
import { parseRun, readQrels, readRun } from '../../../src/ir/trec.js';

const DATA = path.resolve(process.cwd(), '../shared/data');
const OUT = path.resolve(process.cwd(), 'test/fixtures/trec_eval');
/** trec_eval's names (its -m measure.k prints as measure_k) → ir_measures'. */
const NAMES: Record<string, string> = { ndcg_cut_10: 'nDCG@10', map: 'AP', recip_rank: 'RR', P_10: 'P@10', recall_100: 'R@100' };

/** measure → qid (or 'all') → value, from trec_eval -q output. */
async function trecEval(file: string): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const line of (await readFile(path.join(OUT, file), 'utf8')).trim().split('\n')) {
    const [name, qid, value] = line.split('\t').map((s) => s.trim()) as [string, string, string];
    if (!out.has(name)) out.set(name, new Map());
    out.get(name)?.set(qid, value);
  }
  return out;
}

function expectSame(got: ReturnType<typeof evaluate>, want: Map<string, Map<string, string>>, measure: (trecName: string) => string): void {
  let lines = 0;
  for (const [name, values] of want) {
    if (name === 'num_q') {
      expect(got.numQueries).toBe(Number(values.get('all')));
      continue;
    }
    const m = measure(name);
    for (const [qid, v] of values) {
      const ours = qid === 'all' ? got.aggregate[m] : got.perQuery.get(qid)?.[m];
      expect([name, qid, Math.abs((ours ?? NaN) - Number(v)) <= 5e-5 + 1e-12]).toEqual([name, qid, true]);
      lines++;
    }
  }
  expect(lines).toBeGreaterThan(40);
}

const CASES = [
  { name: 'dl19', dir: 'trec-dl-2019-passage', qrels: 'qrels.dl19-passage.txt', run: 'trec_results_dl19.txt' },
  { name: 'dl20', dir: 'trec-dl-2020-passage', qrels: 'qrels.dl20-passage.txt', run: 'trec_results_dl20.txt' },
];

describe.each(CASES)('$name', (c) => {
  test('level 1: nDCG@10, AP, RR, P@10, R@100 and num_q', async () => {
    const qrels = await readQrels(path.join(DATA, c.dir, c.qrels));
    const run = await readRun(path.join(DATA, c.dir, c.run));
    expectSame(evaluate(qrels, run, { metrics: Object.values(NAMES) }), await trecEval(`${c.name}.txt`), (n) => NAMES[n] as string);
  });

  test('level 2 (trec_eval -l 2): AP and RR; RR@10 is trec_eval -M 10 recip_rank', async () => {
    const qrels = await readQrels(path.join(DATA, c.dir, c.qrels));
    const run = await readRun(path.join(DATA, c.dir, c.run));
    expectSame(evaluate(qrels, run, { metrics: ['AP', 'RR'], relLevel: 2 }), await trecEval(`${c.name}-l2.txt`), (n) => `${NAMES[n]}(rel=2)`);
    expectSame(evaluate(qrels, run, { metrics: ['RR@10'], relLevel: 2 }), await trecEval(`${c.name}-l2-M10.txt`), () => 'RR(rel=2)@10');
  });
});

test('a run with ties: trec_eval orders by score, then docno descending, whatever the rank column says', async () => {
  const dir = path.join(DATA, 'trec-dl-2019-passage');
  const qrels = await readQrels(path.join(dir, 'qrels.dl19-passage.txt'));
  const text = await readFile(path.join(dir, 'trec_results_dl19.txt'), 'utf8');
  const truncated = text.trim().split('\n').map((l) => {
    const f = l.split(/\s+/);
    f[4] = String(Math.trunc(Number(f[4])));
    return f.join(' ');
  }).join('\n');
  const run: Run = parseRun(truncated, 'dl19-ties.run');
  const ties = [...run.values()].reduce((n, e) => n + e.length - new Set(e.map((x) => x.score)).size, 0);
  expect(ties).toBeGreaterThan(3000); // most positions are tied
  expectSame(evaluate(qrels, run, { metrics: Object.values(NAMES) }), await trecEval('dl19-ties.txt'), (n) => NAMES[n] as string);
});
