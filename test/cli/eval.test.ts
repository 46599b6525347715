/** `celens eval` end to end on the shared DL runs and on small made files. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

const DL19 = path.resolve(process.cwd(), '../shared/data/trec-dl-2019-passage');
const QRELS = path.join(DL19, 'qrels.dl19-passage.txt');
const RUN = path.join(DL19, 'trec_results_dl19.txt');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-eval-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

/** `measure qid value` lines → { 'measure qid': value }. */
function table(stdout: string): Record<string, string | undefined> {
  return Object.fromEntries(stdout.trim().split('\n').map((l) => l.split('\t').map((c) => c.trim())).map(([m, q, v]) => [`${m} ${q}`, v]));
}

test('default measures print as trec_eval does, with the issue figures', async () => {
  const r = await runCli(['eval', '--qrels', QRELS, '--run', RUN]);
  expect(r.code).toBe(0);
  expect(table(r.stdout)).toEqual({ 'nDCG@10 all': '0.5058', 'RR@10 all': expect.any(String) as string, 'AP all': '0.2993', 'P@10 all': '0.6186', 'R@100 all': '0.4531' });
  expect(r.stdout.split('\n')[0]).toBe('nDCG@10               \tall\t0.5058');
});

test('--rel-level 2 names and values', async () => {
  const r = await runCli(['eval', '--qrels', QRELS, '--run', RUN, '--metrics', 'AP', 'RR', 'RR@10', 'nDCG@10', '--rel-level', '2']);
  expect(table(r.stdout)).toEqual({ 'AP(rel=2) all': '0.2476', 'RR(rel=2) all': '0.7036', 'RR(rel=2)@10 all': '0.7024', 'nDCG@10 all': '0.5058' });
});

test('--collection stands for qrels and run; --json with per-query values and the floor', async () => {
  const r = await runCli(['eval', '--collection', DL19, '--metrics', 'nDCG@10', '--json', '--per-query', '--floor']);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout) as { numQueries: number; aggregate: Record<string, number>; perQuery: Record<string, unknown>; floor: { aggregate: Record<string, number>; shuffles: number } };
  expect(j.numQueries).toBe(43);
  expect(j.aggregate['nDCG@10']).toBeCloseTo(0.5058, 4);
  expect(Object.keys(j.perQuery)).toHaveLength(43);
  expect(j.floor.shuffles).toBe(5);
  expect(Math.abs((j.floor.aggregate['nDCG@10'] ?? 0) - 0.231)).toBeLessThan(0.015);
});

test('ties in the top k are warned about; unknown qids are reported', async () => {
  const qrels = path.join(tmp, 'qrels.txt');
  const run = path.join(tmp, 'run.txt');
  await writeFile(qrels, '1 0 a 1\n1 0 b 0\n');
  await writeFile(run, '1 Q0 a 1 0.5 x\n1 Q0 b 2 0.5 x\n7 Q0 a 1 1 x\n');
  const r = await runCli(['eval', '--qrels', qrels, '--run', run, '--metrics', 'RR', '--per-query']);
  expect(r.code).toBe(0);
  expect(table(r.stdout)).toEqual({ 'RR 1': '0.5000', 'RR all': '0.5000' });
  expect(r.stderr).toContain(`celens: warning: ${run}: tied scores decide the top 10 in 1 of 2 queries`);
  expect(r.stderr).toContain('celens: note: 1 qids in the run have no qrels and were skipped, as trec_eval does (7)');
});

test('errors: one line naming file and line, non-zero exit', async () => {
  const bad = path.join(tmp, 'bad.txt');
  await writeFile(bad, '1 Q0 a 1 0.5 x\n1 Q0 b 2 0.5\n');
  const r = await runCli(['eval', '--qrels', QRELS, '--run', bad]);
  expect([r.code, r.stderr]).toEqual([1, `celens: ${bad}:2: expected 6 columns, found 5\n`]);
  const m = await runCli(['eval', '--qrels', QRELS, '--run', RUN, '--metrics', 'MAP']);
  expect(m.code).toBe(1);
  expect(m.stderr).toMatch(/^celens: unknown measure 'MAP'/);
  expect((await runCli(['eval', '--run', RUN])).stderr).toMatch(/give --qrels/);
});
