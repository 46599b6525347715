/** `celens bm25` writes a TREC run that `celens eval` reads back. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseRun } from '../../src/ir/trec.js';
import { runCli } from '../helpers/cli.js';

const DATA = path.resolve(process.cwd(), '../shared/data');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-bm25-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('a run for every query of a collection without one', async () => {
  const out = path.join(tmp, 'adi.run');
  const r = await runCli(['bm25', '--collection', path.join(DATA, 'adi'), '--out', out, '--hits', '50', '--tag', 'mybm25']);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`celens: wrote ${out}: 35 queries, BM25 k1=0.9 b=0.4 over 82 docs`);
  const text = await readFile(out, 'utf8');
  const run = parseRun(text, out);
  expect(run.size).toBe(35);
  expect([...run.values()].every((e) => e.length <= 50 && e.length > 0)).toBe(true);
  expect(text.split('\n')[0]).toMatch(/^1 Q0 \S+ 1 \S+ mybm25$/);
  const ev = await runCli(['eval', '--collection', path.join(DATA, 'adi'), '--run', out, '--metrics', 'P@5']);
  expect(ev.code).toBe(0);
  expect(ev.stdout).toMatch(/^P@5 +\tall\t0\.\d{4}\n$/);
  // ADI.REL is SMART-shaped (qid docid 0 0.000000): read as TREC qrels it fails, naming the line.
  const bad = await runCli(['eval', '--qrels', path.join(DATA, 'adi', 'ADI.REL'), '--run', out]);
  expect(bad.stderr).toMatch(/ADI\.REL:2: docno 0 judged twice for qid 1 \(first at line 1\)/);
});

test('--rerank scores only the collection candidates; --eval prints measures', async () => {
  const out = path.join(tmp, 'novel.run');
  const r = await runCli(['bm25', '--collection', path.join(DATA, 'noveleval-2306'), '--out', out, '--rerank', '--eval']);
  expect(r.code).toBe(0);
  const run = parseRun(await readFile(out, 'utf8'), out);
  expect([...run.values()].map((e) => e.length)).toEqual(new Array(21).fill(20));
  expect(r.stdout).toMatch(/^nDCG@10 +\tall\t0\.\d{4}$/m);
});

test('refusals', async () => {
  const r = await runCli(['bm25', '--collection', path.join(DATA, 'adi'), '--out', path.join(tmp, 'x'), '--rerank']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--rerank needs a first-stage run/);
  expect((await runCli(['bm25', '--collection', path.join(DATA, 'trec-dl-2019-passage'), '--format', 'trec', '--out', path.join(tmp, 'y')])).stderr).toMatch(/no document texts to index/);
  expect((await runCli(['bm25', '--collection', path.join(DATA, 'adi'), '--out', path.join(tmp, 'z'), '--b', '2'])).code).toBe(1);
});
