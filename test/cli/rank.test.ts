/** `celens score` follows the model's relevance rule by default; `celens rank` sorts passages by it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { liveWorkers } from '../../src/jobs/pool.js';
import { FIXTURE_DIR, SHARED } from '../helpers/fixture.js';

const TOKENIZER = path.join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');
const QUERY = 'what causes the tides';
const PASSAGES = ["The moon's gravity pulls the ocean.", 'Stocks fell.', 'Tides rise and fall twice a day.', 'A chimney flue carries smoke.'];
const base = ['--tokenizer', TOKENIZER, '--backend', 'cpu', '--workers', '1'];
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-rank-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function raw(): Promise<number[]> {
  const r = await runCli(['score', FIXTURE_DIR, ...base, '--query', QUERY, ...PASSAGES.flatMap((p) => ['--passage', p]), '--activation', 'none']);
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').map(Number);
}

test('score: a 1-label model without an activation in config.json gets sentence-transformers\' sigmoid', async () => {
  const logits = await raw();
  const r = await runCli(['score', FIXTURE_DIR, ...base, '--query', QUERY, ...PASSAGES.flatMap((p) => ['--passage', p])]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('celens: outputs: sigmoid (sentence-transformers default for a 1-label head)');
  const got = r.stdout.trim().split('\n').map(Number);
  got.forEach((g, i) => expect(Math.abs(g - 1 / (1 + Math.exp(-(logits[i] as number))))).toBeLessThan(1e-6));
});

test('score: more batches than one on 2 workers (started before the model loads) prints the 1-worker scores', async () => {
  const args = ['score', FIXTURE_DIR, '--tokenizer', TOKENIZER, '--backend', 'wasm', '--batch-size', '1', '--query', QUERY, ...PASSAGES.flatMap((p) => ['--passage', p])];
  const one = await runCli([...args, '--workers', '1']);
  const two = await runCli([...args, '--workers', '2']);
  expect(one.code).toBe(0);
  expect(two.code).toBe(0);
  expect(two.stdout.trim().split('\n')).toHaveLength(PASSAGES.length);
  expect(two.stdout).toBe(one.stdout);
  expect(liveWorkers()).toBe(0);
});

test('rank: best first with index, score and text; --top-k; --json; passages from a file', async () => {
  const logits = await raw();
  const order = logits.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
  const r = await runCli(['rank', FIXTURE_DIR, ...base, '--query', QUERY, ...PASSAGES.flatMap((p) => ['--passage', p]), '--activation', 'none']);
  expect(r.code).toBe(0);
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  expect(rows.map((x) => Number(x[1]))).toEqual(order);
  expect(rows.map((x) => x[0])).toEqual(['1', '2', '3', '4']);
  rows.forEach((x) => {
    expect(Number(x[2])).toBe(logits[Number(x[1])]);
    expect(x[3]).toBe(PASSAGES[Number(x[1])]);
  });
  const file = path.join(tmp, 'passages.txt');
  await writeFile(file, `${PASSAGES.join('\n')}\n`);
  const j = await runCli(['rank', FIXTURE_DIR, ...base, '--query', QUERY, '--passages', file, '--top-k', '2', '--json']);
  expect(j.code).toBe(0);
  const json = JSON.parse(j.stdout) as Array<{ rank: number; index: number; score: number; text: string }>;
  expect(json.map((x) => x.index)).toEqual(order.slice(0, 2));
  expect(json[0]?.score).toBeCloseTo(1 / (1 + Math.exp(-(logits[order[0] as number] as number))), 6);
  expect(j.stderr).toContain('celens: score = sigmoid(logit 0) (sentence-transformers default for a 1-label head)');
});

test('rank refuses a blank passage line and a missing source, naming the file and line', async () => {
  const file = path.join(tmp, 'blank.txt');
  await writeFile(file, 'one\n\ntwo\n');
  const r = await runCli(['rank', FIXTURE_DIR, ...base, '--query', QUERY, '--passages', file]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`${file}:2: an empty passage`);
  const m = await runCli(['rank', FIXTURE_DIR, ...base, '--query', QUERY, '--passages', path.join(tmp, 'missing.txt')]);
  expect(m.code).toBe(1);
  expect(m.stderr).toContain('cannot read passages (ENOENT)');
});
