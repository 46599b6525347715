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

describe('--format trec_eval', () => {
  /**
   * ir_measures name → the name trec_eval prints for the same measure, from trec_eval's own
   * documentation (`-m ndcg_cut.10` prints `ndcg_cut_10`, `-m map_cut.100` `map_cut_100`, …).
   */
  const TREC: Record<string, string> = {
    'nDCG@10': 'ndcg_cut_10',
    RR: 'recip_rank',
    AP: 'map',
    'AP@100': 'map_cut_100',
    'P@10': 'P_10',
    'R@100': 'recall_100',
    nDCG: 'ndcg',
    R: 'set_recall',
  };
  const base = ['eval', '--qrels', QRELS, '--run', RUN];

  test('trec_eval names carry the values of the ir_measures names, per query and all; num_q leads the all block', async () => {
    const args = [...base, '--metrics', ...Object.keys(TREC), '--per-query'];
    const ir = await runCli(args);
    const te = await runCli([...args, '--format', 'trec_eval']);
    expect([ir.code, te.code]).toEqual([0, 0]);
    const renamed = Object.fromEntries(
      Object.entries(table(ir.stdout)).map(([key, v]) => {
        const [m, qid] = key.split(' ');
        return [`${TREC[m as string] ?? `unmapped ${m}`} ${qid}`, v];
      }),
    );
    expect(table(te.stdout)).toEqual({ ...renamed, 'num_q all': '43' });
    // trec_eval's figures for this BM25 run (README), under trec_eval's names.
    expect(table(te.stdout)).toMatchObject({ 'ndcg_cut_10 all': '0.5058', 'recip_rank all': '0.8245', 'map all': '0.2993', 'P_10 all': '0.6186', 'recall_100 all': '0.4531' });
    const all = te.stdout.split('\n').filter((l) => l.includes('\tall\t'));
    expect(all.slice(0, 2)).toEqual(['num_q                 \tall\t43', 'ndcg_cut_10           \tall\t0.5058']);
    expect(te.stdout.split('\n').filter((l) => l.startsWith('num_q'))).toHaveLength(1);
  });

  test('--rel-level 2 is trec_eval -l 2: bare names with the level-2 values', async () => {
    const r = await runCli([...base, '--metrics', 'AP', 'RR', 'nDCG@10', '--rel-level', '2', '--format', 'trec_eval']);
    expect(table(r.stdout)).toEqual({ 'num_q all': '43', 'map all': '0.2476', 'recip_rank all': '0.7036', 'ndcg_cut_10 all': '0.5058' });
  });

  test('without --metrics, trec_eval names of our defaults with RR for RR@10 (trec_eval has no cut-off RR)', async () => {
    const r = await runCli([...base, '--format', 'trec_eval']);
    expect(r.code).toBe(0);
    expect(Object.keys(table(r.stdout))).toEqual(['num_q all', 'ndcg_cut_10 all', 'recip_rank all', 'map all', 'P_10 all', 'recall_100 all']);
  });

  test('the floor lines use the same names', async () => {
    const r = await runCli(['eval', '--collection', DL19, '--metrics', 'nDCG@10', '--floor', '--format', 'trec_eval']);
    expect(Object.keys(table(r.stdout))).toEqual(['num_q all', 'ndcg_cut_10 all', 'ndcg_cut_10 floor']);
  });

  test('measures without a trec_eval name are refused before any file is read, naming them', async () => {
    const rr10 = await runCli(['eval', '--qrels', 'no-such-qrels', '--run', RUN, '--format', 'trec_eval', '--metrics', 'RR@10']);
    expect([rr10.code, rr10.stdout]).toEqual([1, '']);
    expect(rr10.stderr).toBe(
      "celens: --format trec_eval: 'RR@10' has no trec_eval name: recip_rank looks at the whole ranking (ask for RR), and trec_eval -M 10 would cut every other measure too; " +
        'keep the ir_measures names for RR@10\n',
    );
    const rel = await runCli([...base, '--metrics', 'AP(rel=2)', '--format', 'trec_eval']);
    expect(rel.stderr).toMatch(/^celens: --format trec_eval: 'AP\(rel=2\)' has no trec_eval name at relevance level 1: .*\(--rel-level 2\)/);
    const typo = await runCli([...base, '--metrics', 'MAP', '--format', 'trec_eval']);
    expect(typo.stderr).toMatch(/^celens: unknown measure 'MAP'/);
  });

  test('--json keeps ir_measures keys and does not combine with --format trec_eval; other formats are refused', async () => {
    const both = await runCli([...base, '--json', '--format', 'trec_eval', '--metrics', 'AP']);
    expect([both.code, both.stderr]).toEqual([1, 'celens: --json writes ir_measures names as keys; leave out --format trec_eval or --json\n']);
    const json = await runCli([...base, '--json', '--format', 'ir_measures', '--metrics', 'AP']);
    expect((JSON.parse(json.stdout) as { aggregate: Record<string, number> }).aggregate['AP']).toBeCloseTo(0.2993, 4);
    const bogus = await runCli([...base, '--format', 'csv']);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toMatch(/Invalid values:[\s\S]*format/);
  });
});
