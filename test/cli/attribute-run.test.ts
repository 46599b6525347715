/** `celens attribute --collection C --run R`: unjudged negatives from a first stage the collection lacks. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR, SHARED } from '../helpers/fixture.js';

const MEDLINE = path.join(SHARED, 'data/medline');
const TOKENIZER = path.join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-attr-run-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('MEDLINE has only relevant judgements: without a run no negatives, with a BM25 run half of the pairs', async () => {
  const run = path.join(tmp, 'medline.bm25.run');
  expect((await runCli(['bm25', '--collection', MEDLINE, '--hits', '100', '--out', run])).code).toBe(0);
  const base = ['attribute', FIXTURE_DIR, '--tokenizer', TOKENIZER, '--collection', MEDLINE, '--max-pairs', '4', '--steps', '4'];
  const without = await runCli([...base, '--out', path.join(tmp, 'a.jsonl')]);
  expect(without.code).toBe(0);
  expect(without.stderr).toMatch(/medline: no first-stage run, so no unjudged negatives/);
  const withRun = await runCli([...base, '--run', run, '--out', path.join(tmp, 'b.jsonl')]);
  expect(withRun.code).toBe(0);
  const records = (await readFile(path.join(tmp, 'b.jsonl'), 'utf8')).trim().split('\n').slice(1).map((l) => JSON.parse(l) as { source: { relevant: boolean; qid: string; docid: string } });
  expect(records.map((r) => r.source.relevant).sort()).toEqual([false, false, true, true]);
  // Each negative is one of the run's candidates for its query.
  const runText = await readFile(run, 'utf8');
  for (const r of records.filter((x) => !x.source.relevant)) expect(runText).toContain(`${r.source.qid} Q0 ${r.source.docid} `);
}, 120_000);

test('--per-query-max 1: every sampled relevant pair from another query (MEDLINE: about 23 relevant per query); bad values refused', async () => {
  const out = path.join(tmp, 'per-query.jsonl');
  const r = await runCli(['attribute', FIXTURE_DIR, '--tokenizer', TOKENIZER, '--collection', MEDLINE, '--max-pairs', '8', '--per-query-max', '1', '--steps', '2', '--out', out]);
  expect(r.code).toBe(0);
  const qids = (await readFile(out, 'utf8')).trim().split('\n').slice(1).map((l) => (JSON.parse(l) as { source: { qid: string } }).source.qid);
  expect(qids).toHaveLength(8);
  expect(new Set(qids).size).toBe(8);
  const bad = await runCli(['attribute', FIXTURE_DIR, '--collection', MEDLINE, '--per-query-max', '0']);
  expect(bad.stderr).toBe('celens: --per-query-max must be an integer >= 1\n');
  const noCollection = await runCli(['attribute', FIXTURE_DIR, '--pairs', 'x.tsv', '--per-query-max', '2']);
  expect(noCollection.stderr).toBe('celens: --per-query-max samples pairs from a --collection\n');
}, 120_000);
