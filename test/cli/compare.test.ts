/** `celens compare` end to end on small made qrels and runs whose RR values are a scipy reference sample. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { holm } from '../../src/stats/correction.js';
import { runCli } from '../helpers/cli.js';
import { expectClose, sample } from '../stats/reference.js';

interface Row {
  run: string;
  measure: string;
  baselineMean: number;
  mean: number;
  delta: number;
  p: { t: number | null; randomization: number | null };
  pAdjusted: { t: number | null; randomization: number | null };
}

/** rr-12: per query the rank of the one relevant doc in the baseline and in the better run; RR = 1/rank. */
const RR = sample('rr-12');
const RANKS = RR.ranks as { baseline: number[]; run: number[] };
const qid = (i: number): string => `q${String(i + 1).padStart(2, '0')}`;

/** Six docs per query, the relevant one (`rel`) at the given rank. */
function runText(ranks: number[], tag: string, skip: Set<number> = new Set()): string {
  const lines: string[] = [];
  ranks.forEach((r, i) => {
    if (skip.has(i)) return;
    const docs = ['n1', 'n2', 'n3', 'n4', 'n5'];
    docs.splice(r - 1, 0, 'rel');
    docs.forEach((d, k) => lines.push(`${qid(i)} Q0 ${d} ${k + 1} ${10 - k} ${tag}`));
  });
  return `${lines.join('\n')}\n`;
}

let tmp: string;
let qrels: string;
let base: string;
let better: string;
let same: string;
let partial: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-compare-'));
  qrels = path.join(tmp, 'qrels.txt');
  base = path.join(tmp, 'base.run');
  better = path.join(tmp, 'better.run');
  same = path.join(tmp, 'same.run');
  partial = path.join(tmp, 'partial.run');
  const judged = RANKS.baseline.flatMap((_r, i) => [`${qid(i)} 0 rel 1`, ...['n1', 'n2', 'n3', 'n4', 'n5'].map((d) => `${qid(i)} 0 ${d} 0`)]);
  await writeFile(qrels, `${judged.join('\n')}\n`);
  await writeFile(base, runText(RANKS.baseline, 'base'));
  await writeFile(better, runText(RANKS.run, 'better'));
  await writeFile(same, runText(RANKS.baseline, 'same'));
  await writeFile(partial, runText(RANKS.run, 'partial', new Set([0, 5])));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function compareJson(...args: string[]): Promise<{ baseline: string; rows: Row[] }> {
  const r = await runCli(['compare', '--qrels', qrels, ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { baseline: string; rows: Row[] };
}

test('--json: exactly the keys of the issue, a row per measure and run, in that order', async () => {
  const j = await compareJson('--runs', base, better, same, '--metrics', 'RR', 'nDCG@10');
  expect(Object.keys(j)).toEqual(['baseline', 'rows']);
  expect(j.baseline).toBe(base);
  expect(j.rows.map((r) => [r.measure, r.run])).toEqual([['RR', better], ['RR', same], ['nDCG@10', better], ['nDCG@10', same]]);
  for (const r of j.rows) {
    expect(Object.keys(r)).toEqual(['run', 'measure', 'baselineMean', 'mean', 'delta', 'p', 'pAdjusted']);
    expect(Object.keys(r.p)).toEqual(['t', 'randomization']);
    expect(Object.keys(r.pAdjusted)).toEqual(['t', 'randomization']);
  }
});

test('a clearly better run: the p-values scipy gives for its RR values; an identical run: p = 1', async () => {
  const j = await compareJson('--runs', base, better, same, '--metrics', 'RR', 'nDCG@10');
  const [rrBetter, rrSame, ndcgBetter, ndcgSame] = j.rows as [Row, Row, Row, Row];
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  expectClose(rrBetter.baselineMean, mean(RR.baseline), 1e-14);
  expectClose(rrBetter.mean, mean(RR.run), 1e-14);
  expectClose(rrBetter.delta, RR.meanDiff, 1e-12);
  // scipy.stats.ttest_rel and the exact permutation_test (2^12 = 4096 ≤ 10 000 trials: enumerated).
  expectClose(rrBetter.p.t as number, RR.pT, 1e-11);
  expectClose(rrBetter.p.randomization as number, RR.pRandomizationExact as number, 1e-12);
  expect(ndcgBetter.delta).toBeGreaterThan(0.2);
  expect(ndcgBetter.p.t).toBeLessThan(1e-3);
  expect(ndcgBetter.p.randomization).toBeLessThan(1e-3);
  for (const r of [rrSame, ndcgSame]) {
    expect([r.delta, r.p.t, r.p.randomization, r.pAdjusted.t, r.pAdjusted.randomization]).toEqual([0, 1, 1, 1, 1]);
    expect(r.mean).toBe(r.baselineMean);
  }
  // Holm over the four rows, each test on its own.
  for (const test of ['t', 'randomization'] as const) {
    const want = holm(j.rows.map((r) => r.p[test] as number));
    j.rows.forEach((r, i) => expect(r.pAdjusted[test]).toBeCloseTo(want[i] as number, 15));
  }
  expect(rrBetter.pAdjusted.randomization).toBeGreaterThan(rrBetter.p.randomization as number);
});

test('--test t, --correction bonferroni|none, --trials and --seed', async () => {
  const onlyT = await compareJson('--runs', base, better, '--metrics', 'RR', 'AP', '--test', 't');
  for (const r of onlyT.rows) expect([r.p.randomization, r.pAdjusted.randomization]).toEqual([null, null]);
  const bonf = await compareJson('--runs', base, better, '--metrics', 'RR', 'AP', '--correction', 'bonferroni');
  for (const r of bonf.rows) expect(r.pAdjusted.t).toBeCloseTo(Math.min(1, 2 * (r.p.t as number)), 15);
  const none = await compareJson('--runs', base, better, '--metrics', 'RR', '--correction', 'none');
  expect(none.rows[0]?.pAdjusted).toEqual(none.rows[0]?.p);
  // 500 trials < 2^12: sampled, so p = (1 + hits) / 501 and the seed decides it.
  const sampled = await compareJson('--runs', base, better, '--metrics', 'RR', '--trials', '500', '--seed', '7');
  const p = sampled.rows[0]?.p.randomization as number;
  expect(Math.abs(p * 501 - Math.round(p * 501))).toBeLessThan(1e-9);
  expect(p).toBeLessThan(0.02);
  expect((await compareJson('--runs', base, better, '--metrics', 'RR', '--trials', '500', '--seed', '7')).rows[0]?.p.randomization).toBe(p);
});

test('queries one run lacks are left out of its rows, with a note', async () => {
  const r = await runCli(['compare', '--qrels', qrels, '--runs', base, partial, '--metrics', 'RR', '--json']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe(`celens: note: ${partial} is compared over the 10 queries it shares with ${base} (evaluated: 10 and 12)\n`);
  const row = (JSON.parse(r.stdout) as { rows: Row[] }).rows[0] as Row;
  const kept = RR.baseline.filter((_v, i) => i !== 0 && i !== 5);
  expectClose(row.baselineMean, kept.reduce((a, b) => a + b, 0) / kept.length, 1e-14);
});

test('the table: the baseline, a header, one line per row', async () => {
  const r = await runCli(['compare', '--qrels', qrels, '--runs', base, better, same, '--metrics', 'RR']);
  expect(r.code).toBe(0);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toBe(`${'baseline'.padEnd(22)}\t${base}`);
  expect(lines[1]).toBe(`${'measure'.padEnd(22)}\trun\tqueries\tbaseline\tmean\tdelta\tp(t)\tp(randomization)\tp-holm(t)\tp-holm(randomization)`);
  expect(lines[2]).toMatch(new RegExp(`^RR {20}\\t${better.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\t12\\t0\\.2931\\t0\\.8333\\t\\+0\\.5403\\t1\\.05e-5\\t4\\.88e-4\\t2\\.10e-5\\t9\\.77e-4$`));
  expect(lines[3]).toMatch(/\t12\t0\.2931\t0\.2931\t\+0\.0000\t1\.0000\t1\.0000\t1\.0000\t1\.0000$/);
  expect(lines).toHaveLength(4);
  const none = await runCli(['compare', '--qrels', qrels, '--runs', base, better, '--metrics', 'RR', '--test', 'randomization', '--correction', 'none']);
  expect(none.stdout.split('\n')[1]).toMatch(/\tdelta\tp\(randomization\)$/);
});

test('refusals: one line, exit 1, naming the file', async () => {
  const err = async (...args: string[]): Promise<string> => {
    const r = await runCli(['compare', ...args]);
    expect(r.code).toBe(1);
    return r.stderr;
  };
  expect(await err('--qrels', qrels, '--runs', base)).toBe('celens: --runs needs the baseline and at least one run to compare with it, found 1\n');
  expect(await err('--qrels', qrels, '--runs', base, better, base)).toBe(`celens: --runs: ${base} given twice\n`);
  expect(await err('--qrels', qrels, '--runs', base, better, '--trials', '0')).toBe('celens: --trials must be a positive integer\n');
  expect(await err('--qrels', qrels, '--runs', base, better, '--seed', '-1')).toMatch(/--seed must be an integer/);
  expect(await err('--qrels', qrels, '--runs', base, better, '--metrics', 'MAP')).toMatch(/^celens: unknown measure 'MAP'/);
  const bad = path.join(tmp, 'bad.run');
  await writeFile(bad, 'q01 Q0 rel 1 1 x\nq01 Q0 n1 2\n');
  expect(await err('--qrels', qrels, '--runs', base, bad)).toBe(`celens: ${bad}:2: expected 6 columns, found 4\n`);
  const unjudged = path.join(tmp, 'unjudged.run');
  await writeFile(unjudged, 'zz Q0 rel 1 1 x\n');
  expect(await err('--qrels', qrels, '--runs', base, unjudged)).toBe(`celens: ${unjudged}: no query of this run is judged in ${qrels}\n`);
  expect(await err('--runs', base, better)).toMatch(/qrels/);
});
