/**
 * Faults, on the real CLI (`node dist/cli/bin.js`, built by pretest) with the tiny-bert-ce fixture:
 * a job killed with SIGKILL at several points (and with a torn last line) resumes to the bytes of
 * an uninterrupted run, for JSONL and safetensors attribution output and for `celens rerank`;
 * Ctrl-C exits 130 leaving a complete, resumable file; an unwritable output folder and a full disk
 * are one clear line, not a stack trace.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SHARED = join(process.cwd(), '../shared');
const FIXTURE = join(SHARED, 'fixtures/tiny-bert-ce');
const MINILM = join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');
const BIN = join(process.cwd(), 'dist/cli/bin.js');

const PAIRS = [
  ['how long do fleas live', 'a flea can live up to a year, depending on its host'],
  ['what is wifi', 'wifi is a family of wireless network protocols'],
  ['bluetooth range', 'bluetooth is a short range wireless standard'],
  ['do goldfish grow', 'goldfish grow as large as their tank allows'],
  ['why did the us enter ww1', 'the united states entered the war in 1917'],
  ['', 'an empty query still makes a pair'],
  ['cheapest flights', ''],
  ['caf\u00e9 prices', 'prices at the caf\u00e9 went up'],
  ['tallest mountain', 'mount everest is the highest mountain above sea level'],
  ['boiling point of water', 'water boils at 100 degrees celsius at sea level'],
  ['who wrote hamlet', 'hamlet is a tragedy written by william shakespeare'],
  ['speed of light', 'light travels at about 300,000 kilometres per second'],
  ['largest ocean', 'the pacific is the largest and deepest ocean'],
  ['capital of france', 'paris is the capital and largest city of france'],
  ['what do pandas eat', 'giant pandas eat almost nothing but bamboo'],
  ['how many legs does a spider have', 'spiders have eight legs and two body parts'],
  ['python list sort', 'list.sort() sorts the list in place'],
  ['when was the moon landing', 'apollo 11 landed on the moon in july 1969'],
  ['what is dna', 'dna carries the genetic instructions of living things'],
  ['define entropy', 'entropy measures disorder, or the number of microstates'],
];

let tmp: string;
let pairsFile: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'celens-kill-'));
  pairsFile = join(tmp, 'pairs.tsv');
  await writeFile(pairsFile, `${PAIRS.map(([q, p]) => `${q}\t${p}`).join('\n')}\n`);
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

interface Exit { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/** Runs the CLI; with `at`, sends `signal` once `at.file` holds `at.lines` newlines. */
function cli(args: string[], at?: { file: string; lines: number; signal: NodeJS.Signals }): Promise<Exit> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const poll = at && setInterval(() => {
    if (!existsSync(at.file)) return;
    const text = readFileSync(at.file, 'utf8');
    if (text.split('\n').length - 1 >= at.lines) {
      clearInterval(poll);
      child.kill(at.signal);
    }
  }, 5);
  return new Promise((done) => child.on('exit', (code, signal) => {
    clearInterval(poll);
    done({ code, signal, stderr });
  }));
}

const attribute = (out: string): string[] => ['attribute', FIXTURE, '--tokenizer', MINILM, '--pairs', pairsFile, '--out', out, '--steps', '8', '--pairs-per-batch', '1'];

describe('attribute: SIGKILL at random points, then resume', () => {
  let want: Buffer;
  beforeAll(async () => {
    expect((await cli(attribute(join(tmp, 'full.jsonl')))).code).toBe(0);
    want = await readFile(join(tmp, 'full.jsonl'));
  });

  test.each([[1, false], [7, true], [15, false]])('JSONL killed after %i records (torn last line: %s) resumes to the same bytes', async (n, torn) => {
    const out = join(tmp, `kill${n}.jsonl`);
    const killed = await cli(attribute(out), { file: out, lines: n + 1, signal: 'SIGKILL' });
    expect(killed.signal).toBe('SIGKILL');
    const left = readFileSync(out, 'utf8').split('\n').length - 1;
    expect(left).toBeGreaterThanOrEqual(n + 1);
    expect(left).toBeLessThan(PAIRS.length + 1);
    if (torn) await truncate(out, Buffer.byteLength(readFileSync(out, 'utf8')) - 123); // a kill mid-write
    const resumed = await cli(attribute(out));
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resumed: \d+ of 20 pairs were already done/);
    expect((await readFile(out)).equals(want)).toBe(true);
  });

  test.each([3, 12])('safetensors killed after %i records resumes to the same file', async (n) => {
    const full = join(tmp, 'full.safetensors');
    if (!existsSync(full)) expect((await cli(attribute(full))).code).toBe(0);
    const out = join(tmp, `kill${n}.safetensors`);
    const killed = await cli(attribute(out), { file: `${out}.partial.jsonl`, lines: n + 1, signal: 'SIGKILL' });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    expect((await cli(attribute(out))).code).toBe(0);
    expect((await readFile(out)).equals(await readFile(full))).toBe(true);
    expect(existsSync(`${out}.partial.jsonl`)).toBe(false);
  });

  test('Ctrl-C exits 130 and leaves whole lines that resume to the same bytes', async () => {
    const out = join(tmp, 'sigint.jsonl');
    const stopped = await cli(attribute(out), { file: out, lines: 4, signal: 'SIGINT' });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted; finished records are in .*sigint\.jsonl; rerun the same command to resume/);
    const text = readFileSync(out, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    for (const line of text.trimEnd().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect((await cli(attribute(out))).code).toBe(0);
    expect((await readFile(out)).equals(want)).toBe(true);
  });
});

describe('rerank: SIGKILL, then resume', () => {
  const dir = (): string => join(tmp, 'coll');
  const rerank = (out: string): string[] => ['rerank', FIXTURE, '--tokenizer', MINILM, '--collection', dir(), '--out', out, '--top-k', '15', '--chunk-size', '4'];
  let want: Buffer;
  beforeAll(async () => {
    await mkdir(dir());
    const docs = PAIRS.map(([, p], i) => `d${i}\t${p || 'empty'}`);
    await writeFile(join(dir(), 'corpus.tsv'), `${docs.join('\n')}\n`);
    await writeFile(join(dir(), 'topics.tsv'), `${PAIRS.slice(0, 4).map(([q], i) => `q${i}\t${q}`).join('\n')}\n`);
    await writeFile(join(dir(), 'qrels.txt'), `${PAIRS.slice(0, 4).map((_p, i) => `q${i} 0 d${i} 1`).join('\n')}\n`);
    const run = PAIRS.slice(0, 4).flatMap((_p, q) => Array.from({ length: 15 }, (_v, r) => `q${q} Q0 d${(q + r) % 20} ${r + 1} ${15 - r} bm25`));
    await writeFile(join(dir(), 'run.txt'), `${run.join('\n')}\n`);
    expect((await cli(rerank(join(tmp, 'full.run')))).code).toBe(0);
    want = await readFile(join(tmp, 'full.run'));
  });

  test.each([2, 6])('killed after %i chunks resumes to the same run file', async (chunks) => {
    const out = join(tmp, `kill${chunks}.run`);
    const killed = await cli(rerank(out), { file: `${out}.partial`, lines: 1 + 4 * chunks, signal: 'SIGKILL' });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false);
    const resumed = await cli(rerank(out));
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/60 pairs \(\d+ resumed from/);
    expect((await readFile(out)).equals(want)).toBe(true);
  });
});

test('an output folder under a regular file (ENOTDIR) is one clear error, and nothing is written', async () => {
  const blocker = join(tmp, 'blocker');
  await writeFile(blocker, 'a file, not a folder\n');
  const a = await cli(attribute(join(blocker, 'out.jsonl')));
  expect(a.code).toBe(1);
  expect(a.stderr).toMatch(/^celens: .*blocker: cannot write to this folder \(ENOTDIR\)\n$/);
  const r = await cli(['rerank', FIXTURE, '--collection', join(tmp, 'coll'), '--out', join(blocker, 'run.txt')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^celens: .*blocker: cannot write the run here \(ENOTDIR\)\n$/);
});

// A small tmpfs makes a real full disk; mounting needs root (CI and the dev machines run as root).
const disk = join(tmpdir(), `celens-full-disk-${process.pid}`);
const mounted = ((): boolean => {
  spawnSync('mkdir', ['-p', disk]);
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', disk]).status === 0;
})();
afterAll(() => {
  if (mounted) spawnSync('umount', [disk]);
  spawnSync('rmdir', [disk]);
});

(mounted ? test : test.skip)('a full disk is a clear error; after making room the run resumes to the same bytes', async () => {
  const out = join(disk, 'out.jsonl');
  if (!existsSync(join(tmp, 'full.jsonl'))) expect((await cli(attribute(join(tmp, 'full.jsonl')))).code).toBe(0);
  await writeFile(join(disk, 'filler'), Buffer.alloc(64 * 1024)); // the disk is full before the run
  const full = await cli(attribute(out));
  expect(full.code).toBe(1);
  expect(full.stderr).toMatch(/^celens: .*out\.jsonl: cannot write \(ENOSPC\); the records before this one are kept/);
  await rm(join(disk, 'filler'));
  const midway = await cli(attribute(out)); // 64 KiB holds a few records, then the disk fills
  expect(midway.code).toBe(1);
  expect(midway.stderr).toMatch(/cannot write \(ENOSPC\)/);
  expect(midway.stderr).not.toMatch(/internal error/);
  expect(spawnSync('mount', ['-o', 'remount,size=4m', disk]).status).toBe(0);
  expect((await cli(attribute(out))).code).toBe(0);
  expect((await readFile(out)).equals(await readFile(join(tmp, 'full.jsonl')))).toBe(true);
});
