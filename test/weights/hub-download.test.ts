/** downloadModel against a stand-in Hub on 127.0.0.1: cache layout, resume, verification, bounds. */
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError, downloadModel, resolveModel } from '../../src/weights/hub-download.js';
import type { DownloadProgress } from '../../src/weights/hub-download.js';
import { readStateDict } from '../../src/weights/sharded.js';
import { COMMIT_A, COMMIT_B, shardedRepo, tinyRepo } from '../helpers/hub-repos.js';
import { gitOid, sha256, startHubServer } from '../helpers/hub-server.js';
import type { HubServer, ServedRepo } from '../helpers/hub-server.js';

const TINY_ID = 'celens-test/tiny-ce';
const SHARDED_ID = 'celens-test/tiny-ce-sharded';
const BARE_ID = 'celens-test/no-weights';

let hub: HubServer;
let tiny: ServedRepo;
let sharded: ServedRepo;
let cache: string;
const made: string[] = [];

beforeAll(async () => {
  tiny = tinyRepo(TINY_ID);
  sharded = await shardedRepo(SHARDED_ID);
  const bare: ServedRepo = { id: BARE_ID, commit: 'c'.repeat(40), files: { 'config.json': tiny.files['config.json'] as Buffer, 'pytorch_model.bin': Buffer.from('x') } };
  hub = await startHubServer([tiny, sharded, bare]);
});
afterAll(async () => {
  await hub.close();
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});
beforeEach(async () => {
  cache = await mkdtemp(join(tmpdir(), 'celens-hub-'));
  made.push(cache);
  hub.requests.length = 0;
});

const body = (repo: ServedRepo, file: string): Buffer => repo.files[file] as Buffer;
const repoDir = (id: string): string => join(cache, `models--${id.replace('/', '--')}`);
const incomplete = (id: string, b: Buffer): string => join(repoDir(id), 'blobs', `${sha256(b)}.incomplete`);
const sizeOf = async (p: string): Promise<number> => (await stat(p).catch(() => undefined))?.size ?? -1;
/** Waits (in the server) until the client has written the bytes sent so far, so a drop leaves them on disk. */
const written = (file: string) => async (end: number): Promise<boolean> => (await sizeOf(file)) >= end;
const fast = { retryDelayMs: 1, timeoutMs: 5_000 };

test('fetches config, tokenizer files and model.safetensors into the Hugging Face cache layout', async () => {
  const progress: DownloadProgress[] = [];
  const r = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, ...fast, onProgress: (p) => progress.push(p) });
  expect(r.commit).toBe(COMMIT_A);
  expect(r.dir).toBe(join(repoDir(TINY_ID), 'snapshots', COMMIT_A));
  const want = ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];
  expect((await readdir(r.dir)).sort()).toEqual(want);
  for (const f of want) {
    const b = body(tiny, f);
    expect((await lstat(join(r.dir, f))).isSymbolicLink()).toBe(true);
    // LFS blobs are named by their sha256, regular files by their git oid, as huggingface_hub names them.
    expect(await readlink(join(r.dir, f))).toBe(join('..', '..', 'blobs', f.endsWith('.safetensors') ? sha256(b) : gitOid(b)));
    expect((await readFile(join(r.dir, f))).equals(b)).toBe(true);
  }
  expect((await readFile(join(repoDir(TINY_ID), 'refs', 'main'), 'utf8')).trim()).toBe(COMMIT_A);
  expect((await readdir(join(repoDir(TINY_ID), 'blobs'))).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
  expect(r.files.every((f) => f.downloaded && f.resumedFrom === 0)).toBe(true);

  const total = want.reduce((s, f) => s + body(tiny, f).length, 0);
  expect(progress.at(-1)).toMatchObject({ done: total, total });
  expect(progress.every((p, i) => i === 0 || p.done >= (progress[i - 1] as DownloadProgress).done)).toBe(true);
  // Files celens does not read are never requested.
  expect(hub.requests.some((q) => q.path.endsWith('README.md') || q.path.includes('f16'))).toBe(false);
  expect(await resolveModel(TINY_ID, { cacheDir: cache })).toBe(r.dir);

  // A second run finds everything in the cache: API calls only, no file requests.
  hub.requests.length = 0;
  const again = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, ...fast });
  expect(again.files.some((f) => f.downloaded)).toBe(false);
  expect(hub.requests.every((q) => q.path.startsWith('/api/'))).toBe(true);
});

test('fetches the shard index and every shard it names; the folder loads', async () => {
  const r = await downloadModel({ repo: SHARDED_ID, revision: COMMIT_B, cacheDir: cache, hubUrl: hub.url, ...fast });
  expect((await readdir(r.dir)).sort()).toEqual([
    'config.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    'model.safetensors.index.json',
    'vocab.txt',
  ]);
  // A commit as the revision needs no ref.
  expect(await sizeOf(join(repoDir(SHARDED_ID), 'refs', COMMIT_B))).toBe(-1);
  const { state, source } = await readStateDict(r.dir);
  expect(source).toBe(join(r.dir, 'model.safetensors.index.json'));
  expect(state.size).toBeGreaterThan(40);
});

test('resumes with a Range request within one call when the connection drops', async () => {
  const b = body(tiny, 'model.safetensors');
  hub.fault(TINY_ID, 'model.safetensors', { kind: 'drop', after: 1_000_000, until: written(incomplete(TINY_ID, b)) });
  const r = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, retries: 2, ...fast });
  expect((await readFile(join(r.dir, 'model.safetensors'))).equals(b)).toBe(true);
  expect(hub.requests.filter((q) => q.path.startsWith('/cdn/')).map((q) => q.range)).toEqual(['bytes=0-0', undefined, 'bytes=1000000-']);
});

test('gives up after the retries, keeps the partial file and no ref; the next call resumes it', async () => {
  const b = body(tiny, 'model.safetensors');
  const part = incomplete(TINY_ID, b);
  hub.fault(TINY_ID, 'model.safetensors', { kind: 'drop', after: 1_000_000, until: written(part), times: 2 });
  const failed = downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, retries: 1, ...fast });
  await expect(failed).rejects.toThrow(HubError);
  await expect(failed).rejects.toThrow(
    /^celens-test\/tiny-ce\/model\.safetensors: download stopped at 2000000 of 4036860 bytes after 2 tries \(.+\); run the command again to resume$/,
  );
  expect(await sizeOf(part)).toBe(2_000_000);
  expect(await sizeOf(join(repoDir(TINY_ID), 'refs', 'main'))).toBe(-1);
  await expect(resolveModel(TINY_ID, { cacheDir: cache })).rejects.toThrow(/is not in the Hugging Face cache/);

  hub.requests.length = 0;
  const r = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, retries: 0, ...fast });
  expect(r.files.find((f) => f.path === 'model.safetensors')).toMatchObject({ downloaded: true, resumedFrom: 2_000_000 });
  expect(hub.requests.filter((q) => q.path.startsWith('/cdn/')).map((q) => q.range)).toEqual(['bytes=0-0', 'bytes=2000000-']);
  expect((await readFile(join(r.dir, 'model.safetensors'))).equals(b)).toBe(true);
});

test('starts over when the server ignores the Range header', async () => {
  const b = body(tiny, 'model.safetensors');
  hub.fault(TINY_ID, 'model.safetensors', { kind: 'drop', after: 500_000, until: written(incomplete(TINY_ID, b)) });
  await expect(downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, retries: 0, ...fast })).rejects.toThrow(/stopped at 500000 of/);
  hub.fault(TINY_ID, 'model.safetensors', { kind: 'ignore-range' });
  const r = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, retries: 0, ...fast });
  expect(hub.requests.some((q) => q.range === 'bytes=500000-')).toBe(true);
  expect((await readFile(join(r.dir, 'model.safetensors'))).equals(b)).toBe(true);
});

test('a corrupted transfer fails the sha256 check (LFS) or the git oid check, and is removed', async () => {
  const b = body(tiny, 'model.safetensors');
  const bad = Buffer.from(b);
  bad[bad.length - 1] = (bad[bad.length - 1] as number) ^ 0xff;
  hub.fault(TINY_ID, 'model.safetensors', { kind: 'body', body: bad });
  const err = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, ...fast }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HubError);
  expect((err as HubError).message).toBe(
    `celens-test/tiny-ce/model.safetensors: downloaded bytes do not match the hub's sha256; removed them, run the command again (expected ${sha256(b)}, found ${sha256(bad)})`,
  );
  expect(await sizeOf(incomplete(TINY_ID, b))).toBe(-1);
  expect(await sizeOf(join(repoDir(TINY_ID), 'blobs', sha256(b)))).toBe(-1);

  const r = await downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, ...fast });
  expect((await readFile(join(r.dir, 'model.safetensors'))).equals(b)).toBe(true);

  const config = body(tiny, 'config.json');
  hub.fault(TINY_ID, 'config.json', { kind: 'body', body: Buffer.alloc(config.length, 32) });
  const other = await mkdtemp(join(tmpdir(), 'celens-hub-'));
  made.push(other);
  await expect(downloadModel({ repo: TINY_ID, cacheDir: other, hubUrl: hub.url, ...fast })).rejects.toThrow(
    `celens-test/tiny-ce/config.json: downloaded bytes do not match the hub's git-sha1; removed them, run the command again (expected ${gitOid(config)}, found`,
  );
});

test('a stalled transfer is dropped after the idle timeout, a bounded number of times', async () => {
  hub.fault(TINY_ID, 'config.json', { kind: 'stall', times: 2 });
  const t0 = Date.now();
  await expect(downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, retries: 1, idleTimeoutMs: 150, ...fast })).rejects.toThrow(
    /^celens-test\/tiny-ce\/config\.json: download stopped at 0 of \d+ bytes after 2 tries \(no data for 150 ms\)/,
  );
  expect(Date.now() - t0).toBeLessThan(5_000);
});

test('API errors are one line naming the repository; 5xx answers are retried a bounded number of times', async () => {
  await expect(downloadModel({ repo: 'celens-test/nope', cacheDir: cache, hubUrl: hub.url, ...fast })).rejects.toThrow(
    new RegExp(`^celens-test/nope@main: the hub answered 404 to ${hub.url}/api/models/celens-test/nope/revision/main \\(Repository not found\\)$`),
  );
  await expect(downloadModel({ repo: TINY_ID, revision: 'v9', cacheDir: cache, hubUrl: hub.url, ...fast })).rejects.toThrow(/answered 404 .*Invalid rev id: v9/);
  await expect(downloadModel({ repo: BARE_ID, cacheDir: cache, hubUrl: hub.url, ...fast })).rejects.toThrow(
    /^celens-test\/no-weights@c{40}: the repository has no model\.safetensors or model\.safetensors\.index\.json/,
  );
  await expect(downloadModel({ repo: 'a/b/c', cacheDir: cache, hubUrl: hub.url })).rejects.toThrow(/^'a\/b\/c': not a Hugging Face model id; expected org\/name or a bare name/);
  await expect(downloadModel({ repo: TINY_ID, revision: '../../x', cacheDir: cache, hubUrl: hub.url })).rejects.toThrow(/not a usable revision/);

  let calls = 0;
  const flaky: typeof fetch = async (input, init) => {
    calls++;
    return String(input).includes('/api/') ? new Response('busy', { status: 503 }) : fetch(input, init);
  };
  await expect(downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: hub.url, fetch: flaky, retries: 2, ...fast })).rejects.toThrow(/answered 503/);
  expect(calls).toBe(3);
});

test('an unreachable hub says so after the retries', async () => {
  const gone = await startHubServer([]);
  await gone.close();
  await expect(downloadModel({ repo: TINY_ID, cacheDir: cache, hubUrl: gone.url, retries: 1, ...fast })).rejects.toThrow(
    /^celens-test\/tiny-ce@main: cannot reach the hub \(fetch failed: .*ECONNREFUSED/,
  );
});
