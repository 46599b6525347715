/** `celens rerank`: a run file with --eval's table, resume from the journal, and refusals before any scoring. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadCollection } from '../../src/ir/detect.js';
import { parseRun } from '../../src/ir/trec.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR, SHARED } from '../helpers/fixture.js';

const DL19 = path.join(SHARED, 'data/trec-dl-2019-passage');
const TOKENIZER = path.join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-rerank-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const args = (out: string, ...more: string[]): string[] => ['rerank', FIXTURE_DIR, '--tokenizer', TOKENIZER, '--collection', DL19, '--top-k', '10', '--out', out, ...more];

test('--top-k 10 --eval: a valid run and the measures next to the first stage and the floor', async () => {
  const out = path.join(tmp, 'run.txt');
  const r = await runCli(args(out, '--eval', '--tag', 'tiny'));
  expect(r.stderr).toMatch(/celens: wrote .*run\.txt: 43 queries, 430 pairs reranked in [\d.]+s \(top 10 of /);
  expect(r.code).toBe(0);
  const text = await readFile(out, 'utf8');
  const run = parseRun(text, out);
  expect(run.size).toBe(43);
  for (const entries of run.values()) expect(entries.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  expect(text.split('\n')[0]).toMatch(/^\d+ Q0 \d+ 1 -?[\d.e+-]+ tiny$/);
  // The journal and the temporary file are gone; only the run is left.
  expect(await readdir(tmp)).toEqual(['run.txt']);
  expect(r.stdout).toMatch(/^measure +\trerank\tfirst-stage@10\tfloor\(5 shuffles\)$/m);
  for (const m of ['nDCG@10', 'RR@10', 'AP', 'P@10', 'R@100']) expect(r.stdout).toMatch(new RegExp(`^${m.replace(/[@]/g, '@')} +\\t0\\.\\d{4}\\t0\\.\\d{4}\\t0\\.\\d{4}$`, 'm'));
  // BM25's own top 10 (the SOURCE.md figure): the first stage column is the real one.
  expect(r.stdout).toMatch(/^nDCG@10 +\t0\.\d{4}\t0\.5058\t/m);
  // Then the paired tests against the first stage, on lines of their own: the table above is unchanged.
  expect(r.stdout).toMatch(/^paired +\tdelta\tp\(t\)\tp\(randomization\)\tp-holm\(t\)\tp-holm\(randomization\)$/m);
  const p = '(?:[01]\\.\\d{4}|\\d\\.\\d{2}e-\\d+|0)';
  for (const m of ['nDCG@10', 'RR@10', 'AP', 'P@10', 'R@100']) expect(r.stdout).toMatch(new RegExp(`^paired:${m} +\\t[+-]\\d\\.\\d{4}(\\t${p}){4}$`, 'm'));
  expect(r.stdout.trimEnd().split('\n')).toHaveLength(13);
  // The deltas are the table's two columns subtracted.
  const cell = (row: string, i: number): number => Number(new RegExp(`^${row} +\\t(.*)$`, 'm').exec(r.stdout)?.[1]?.split('\t')[i]);
  expect(Math.abs(cell('paired:nDCG@10', 0) - (cell('nDCG@10', 0) - cell('nDCG@10', 1)))).toBeLessThanOrEqual(1.5001e-4); // three roundings to 4 decimals
  expect(r.stderr).toMatch(/celens: note: paired: rerank − first-stage@10 over the 43 queries both have; .*p-holm adjusts over the 5 measures/);
});

test('--rel-level 2: RR and AP count grade ≥ 2 (the BM25 RR@10 of SOURCE.md), nDCG still uses the grades', async () => {
  const r = await runCli(args(path.join(tmp, 'rel2.txt'), '--eval', '--rel-level', '2'));
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^RR\(rel=2\)@10 +\t0\.\d{4}\t0\.7024\t/m);
  expect(r.stdout).toMatch(/^nDCG@10 +\t0\.\d{4}\t0\.5058\t/m);
});

test('Ctrl-C keeps the journal; the same command resumes it to the same bytes', async () => {
  const out = path.join(tmp, 'resume', 'run.txt');
  const journal = `${out}.partial`;
  await mkdir(path.dirname(out));
  expect((await runCli(args(out, '--chunk-size', '50'))).code).toBe(0);
  const want = await readFile(out, 'utf8');
  await rm(out);
  // Ctrl-C once the first chunk is in the journal: the run stops after the chunk in flight.
  const listeners = new Set(process.listeners('SIGINT'));
  const poll = setInterval(() => {
    if (existsSync(journal) && readFileSync(journal, 'utf8').split('\n').length > 2) {
      clearInterval(poll);
      process.emit('SIGINT');
    }
  }, 5);
  const stopped = await runCli(args(out, '--chunk-size', '50'));
  clearInterval(poll);
  // The second-Ctrl-C handler the command leaves behind would exit jest: remove it.
  for (const l of process.listeners('SIGINT')) if (!listeners.has(l)) process.removeListener('SIGINT', l);
  expect(process.exitCode).toBe(130);
  process.exitCode = 0;
  expect(stopped.stderr).toMatch(/celens: interrupted; scores so far are in .*run\.txt\.partial; rerun the same command to resume/);
  expect(existsSync(out)).toBe(false);
  const resumed = await runCli(args(out, '--chunk-size', '50'));
  expect(resumed.code).toBe(0);
  expect(resumed.stderr).toMatch(/430 pairs \(\d+ resumed from .*run\.txt\.partial\)/);
  expect(await readFile(out, 'utf8')).toBe(want);
  expect(existsSync(journal)).toBe(false);
  // A journal from other settings is refused and left alone.
  await writeFile(journal, '{"celens":"rerank","version":0}\n');
  const refused = await runCli(args(out, '--chunk-size', '50'));
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/run\.txt\.partial: an unfinished rerank with other settings/);
});

test('refusals come before the model is loaded', async () => {
  const noModel = path.join(tmp, 'no-such-model');
  const noRun = await runCli(['rerank', noModel, '--collection', path.join(SHARED, 'data/adi'), '--out', path.join(tmp, 'adi.run')]);
  expect(noRun.code).toBe(1);
  expect(noRun.stderr).toMatch(/adi: the collection has no first-stage run to rerank; run `celens bm25 --collection adi --out first\.run` first and pass --run first\.run/);
  const badOut = await runCli(['rerank', noModel, '--collection', DL19, '--out', path.join(tmp, 'missing', 'dir', 'run.txt')]);
  expect(badOut.code).toBe(1);
  expect(badOut.stderr).toMatch(/missing\/dir: cannot write the run here \(ENOENT\)/);
  expect(existsSync(path.join(tmp, 'missing'))).toBe(false);
  const badTag = await runCli(['rerank', noModel, '--collection', DL19, '--out', path.join(tmp, 'x.run'), '--tag', 'two words']);
  expect(badTag.stderr).toMatch(/run tag must be one word/);
  expect((await runCli(['rerank', noModel, '--collection', DL19, '--out', path.join(tmp, 'x.run'), '--top-k', '0'])).stderr).toMatch(/--top-k must be a positive integer/);
});

test('--max-queries N reranks the first N judged queries of the first stage (byte order of qid)', async () => {
  const c = await loadCollection(DL19);
  const want = [...(c.run ?? new Map()).keys()].filter((q) => c.qrels.has(q)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).slice(0, 3);
  const out = path.join(tmp, 'three.txt');
  const r = await runCli(['rerank', FIXTURE_DIR, '--tokenizer', TOKENIZER, '--collection', DL19, '--top-k', '2', '--max-queries', '3', '--out', out, '--workers', '1']);
  expect(r.code).toBe(0);
  expect([...parseRun(await readFile(out, 'utf8'), out).keys()].sort()).toEqual(want);
});
