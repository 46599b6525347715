/** `celens prune` end to end: fixture model + MiniLM tokenizer on two DL20 queries. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';
import { DL20, MINILM, syntheticRanking } from '../pruning/helpers.js';
import { readSweep } from '../../src/pruning/journal.js';
import { summarizeSweep } from '../../src/pruning/summary.js';
import type { SweepSummary } from '../../src/pruning/summary.js';

let tmp: string;
let ranking: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-prune-'));
  ranking = path.join(tmp, 'ranking.json');
  await writeFile(ranking, JSON.stringify(syntheticRanking('layer.{l}.ffn.pre', [64, 64, 64], 5)));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const args = (out: string, ...more: string[]): string[] =>
  ['prune', FIXTURE_DIR, '--tokenizer', MINILM, '--collection', DL20, '--out', out, '--top-k', '10', '--max-queries', '2', '--budgets', '2%', '5%', '--seeds', '2', '--reference-pairs', '6', '--backend', 'wasm', ...more];

test('a sweep: cells on stderr, a table on stdout, means cached, a rerun resumes', async () => {
  const out = path.join(tmp, 'sweep.jsonl');
  const r = await runCli(args(out, '--ranking', ranking));
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(0);
  const lines = (await readFile(out, 'utf8')).trim().split('\n');
  // header, baselines, (top, bottom, random×2, magnitude, random:bottom×2, random:magnitude×2) × 2 budgets
  expect(lines).toHaveLength(1 + 3 + 2 * 9);
  expect(r.stdout).toMatch(/^cell\s+units\s+nDCG@10\s+RR@10/);
  for (const c of ['first-stage', 'random-ranking', 'unpruned', 'top@2%', 'random@5% (2 seeds)', 'magnitude@5%', 'random:bottom@5% (2 seeds)', 'random:magnitude@2% (2 seeds)']) expect(r.stdout).toContain(c);
  // The tests, per measure: each cell against unpruned, each strategy against its control.
  expect(r.stdout).toContain('\npaired tests on nDCG@10 over 2 queries (cell − reference;');
  expect(r.stdout).toContain('\npaired tests on RR@10 over 2 queries');
  expect(r.stdout).toMatch(/\nbottom@5%\s.*\sunpruned\s.*\n\s+random:bottom@5% \(2 seeds\)\s+[-+]\d\.\d{4}\s/);
  expect(r.stdout).toMatch(/\nrandom@2% \(2 seeds\)\s+\d\.\d{4}\s+\d\.\d{4}\s+-?\d\.\d{4}–-?\d\.\d{4}\s+unpruned\s/);
  expect(r.stderr).toContain(`means over 6 pairs`);
  expect((await stat(`${out}.means.json`)).isFile()).toBe(true);
  const again = await runCli(args(out, '--ranking', ranking));
  expect(again.code).toBe(0);
  expect(again.stderr).toContain(`resumed: 21 rows were already in ${out}`);
  expect(again.stderr).toContain(`means from ${out}.means.json (6 pairs`);
  expect(again.stdout).toBe(r.stdout);
  expect((await readFile(out, 'utf8')).trim().split('\n')).toEqual(lines);
  // --json: the summary, recomputed from the journal on this resume, equal to summarizeSweep on the file's rows.
  const json = await runCli(args(out, '--ranking', ranking, '--json', '--correction', 'bonferroni'));
  expect(json.code).toBe(0);
  const summary = JSON.parse(json.stdout) as SweepSummary;
  expect(summary).toEqual(JSON.parse(JSON.stringify(summarizeSweep((await readSweep(out))?.rows ?? [], { correction: 'bonferroni' }))));
  expect(summary.tests.filter((t) => t.cell === 'magnitude@2%').map((t) => t.against)).toEqual(['unpruned', 'random:magnitude@2%', 'unpruned', 'random:magnitude@2%']);
  expect(summary.cells.find((c) => c.cell === 'random:magnitude@2%')?.counts_per_layer).toEqual(summary.cells.find((c) => c.cell === 'magnitude@2%')?.counts_per_layer);
});

test('seeds default to 10; a version 1 journal is refused with a message', async () => {
  const out = path.join(tmp, 'ten.jsonl');
  const r = await runCli(['prune', FIXTURE_DIR, '--tokenizer', MINILM, '--collection', DL20, '--out', out, '--top-k', '5', '--max-queries', '2', '--budgets', '1', '--strategies', 'random', '--backend', 'wasm']);
  expect(r.code).toBe(0);
  const [head, ...rows] = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect((head?.options as { seeds: number }).seeds).toBe(10);
  expect(rows.filter((x) => x.strategy === 'random').map((x) => x.seed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(rows.filter((x) => x.strategy === 'random').every((x) => x.matched_to === null)).toBe(true); // no ranking: a global draw
  expect(r.stdout).toMatch(/\nrandom@1 \(10 seeds\)\s+1\s/);
  const v1 = path.join(tmp, 'v1.jsonl');
  await writeFile(v1, `${JSON.stringify({ ...head, version: 1, qids: undefined })}\n`);
  const old = await runCli(['prune', FIXTURE_DIR, '--tokenizer', MINILM, '--collection', DL20, '--out', v1, '--top-k', '5', '--max-queries', '2', '--budgets', '1', '--strategies', 'random', '--backend', 'wasm']);
  expect(old.code).toBe(1);
  expect(old.stderr).toContain(`${v1}: a sweep of journal version 1 is here, written before prune's paired tests`);
});

test('mean ablation and heads; errors are one line', async () => {
  const mean = await runCli(args(path.join(tmp, 'mean.jsonl'), '--strategies', 'random', '--ablation', 'mean'));
  expect(mean.code).toBe(0);
  expect(mean.stdout).toContain('random@2% (2 seeds)');
  const heads = await runCli(args(path.join(tmp, 'heads.jsonl'), '--unit', 'heads', '--budgets', '1', '--strategies', 'random'));
  expect(heads.code).toBe(0);
  expect(heads.stdout).toContain('random@1 (2 seeds)');
  const noRanking = await runCli(args(path.join(tmp, 'x.jsonl'), '--strategies', 'top'));
  expect(noRanking.code).toBe(1);
  expect(noRanking.stderr).toBe('celens: strategy top needs a relevance ranking (--ranking)\n');
  const bad = path.join(tmp, 'bad.json');
  await writeFile(bad, JSON.stringify({ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1] } }));
  const badRanking = await runCli(args(path.join(tmp, 'y.jsonl'), '--ranking', bad));
  expect(badRanking.code).toBe(1);
  expect(badRanking.stderr).toBe(`celens: ${bad}: 'layer.0' has 1 values, the model's layer 0 has 64 neurons\n`);
  const budget = await runCli(args(path.join(tmp, 'z.jsonl'), '--budgets', 'lots'));
  expect(budget.code).toBe(1);
  expect(budget.stderr).toMatch(/^celens: budget 'lots' is not a percentage/);
});

test('a collection without a first stage: the message names --run before the model loads, and --run works', async () => {
  const adi = path.join(path.dirname(DL20), 'adi');
  const out = path.join(tmp, 'adi.jsonl');
  const pruneAdi = (...more: string[]): string[] => ['prune', FIXTURE_DIR, '--tokenizer', MINILM, '--collection', adi, '--out', out, '--top-k', '5', '--max-queries', '2', '--budgets', '2%', '--strategies', 'random', '--seeds', '1', '--reference-pairs', '4', '--backend', 'cpu', ...more];
  const none = await runCli(pruneAdi());
  expect(none.code).toBe(1);
  expect(none.stderr).toMatch(/no first-stage run to rerank; run `celens bm25 .*` first and pass --run first\.run/);
  const run = path.join(tmp, 'adi-bm25.run');
  expect((await runCli(['bm25', '--collection', adi, '--out', run, '--hits', '10'])).code).toBe(0);
  const r = await runCli(pruneAdi('--run', run));
  expect(r.stderr).not.toContain('internal error');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('random@2%');
  // The run file is part of the sweep's identity.
  expect(JSON.parse((await readFile(out, 'utf8')).split('\n')[0] as string).options.run).toBe(run);
});
