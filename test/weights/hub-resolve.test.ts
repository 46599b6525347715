/** resolveModel and the cache location: folders as they are, hub ids from the HF cache, offline. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError, hubCacheDir, isRepoId, resolveModel } from '../../src/weights/hub-download.js';
import { TINY } from '../helpers/hub-repos.js';

const C1 = '1'.repeat(40);
const C2 = '2'.repeat(40);
let cache: string;
const ENV = ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'XDG_CACHE_HOME'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

beforeAll(async () => {
  cache = await mkdtemp(join(tmpdir(), 'celens-resolve-'));
  const repo = join(cache, 'models--org--name');
  await mkdir(join(repo, 'snapshots', C1), { recursive: true });
  await mkdir(join(repo, 'snapshots', C2), { recursive: true });
  await mkdir(join(repo, 'refs'), { recursive: true });
  await writeFile(join(repo, 'refs', 'main'), C1);
  await writeFile(join(repo, 'refs', 'v2'), `${C2}\n`);
  await writeFile(join(repo, 'refs', 'gone'), '3'.repeat(40));
});
afterAll(async () => {
  await rm(cache, { recursive: true, force: true });
});
afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

test('a folder is used as it is, whatever the revision', async () => {
  expect(await resolveModel(TINY, { cacheDir: cache, revision: 'v2' })).toBe(TINY);
});

test('a hub id resolves to its snapshot through refs/<revision>, or a commit directly', async () => {
  const snap = (c: string): string => join(cache, 'models--org--name', 'snapshots', c);
  expect(await resolveModel('org/name', { cacheDir: cache })).toBe(snap(C1));
  expect(await resolveModel('org/name', { cacheDir: cache, revision: 'v2' })).toBe(snap(C2));
  expect(await resolveModel('org/name', { cacheDir: cache, revision: C2 })).toBe(snap(C2));
  process.env['HF_HUB_CACHE'] = cache;
  expect(await resolveModel('org/name')).toBe(snap(C1));
});

test('a hub id that is not cached gives the offline message with the command to run', async () => {
  process.env['HF_HUB_CACHE'] = cache;
  const err = await resolveModel('x/y').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HubError);
  expect((err as HubError).message).toBe(`model 'x/y' is not a folder and is not in the Hugging Face cache (${cache}); run: celens download x/y`);
  await expect(resolveModel('org/name', { cacheDir: cache, revision: 'gone' })).rejects.toThrow(
    `model 'org/name' at revision 'gone' is not a folder and is not in the Hugging Face cache (${cache}); run: celens download org/name --revision gone --cache-dir ${cache}`,
  );
  await expect(resolveModel('org/name', { cacheDir: cache, revision: '4'.repeat(40) })).rejects.toThrow(/is not in the Hugging Face cache/);
  await expect(resolveModel('org/name', { cacheDir: cache, revision: '../main' })).rejects.toThrow(/revision '\.\.\/main': not a usable revision name/);
});

test('other strings are handed back for the loader to report', async () => {
  expect(await resolveModel('no/such/folder', { cacheDir: cache })).toBe('no/such/folder');
  expect(await resolveModel('./nothing-here', { cacheDir: cache })).toBe('./nothing-here');
  // huggingface_hub's validate_repo_id: an optional namespace, then the name; no `--` or `..`.
  expect(['org/name', 'cross-encoder/ms-marco-MiniLM-L-6-v2', 'a.b/c_d', 'bert-base-uncased', 'gpt2', 'name'].every(isRepoId)).toBe(true);
  expect(['a/b/c', '/abs/x', 'a--b/c', 'a/..', './x', 'a/b.', 'bert--x', '-x', '', 'x/', '/x'].some(isRepoId)).toBe(false);
});

test('a bare id (legacy canonical model) resolves from models--<name>; an existing path of that name wins', async () => {
  const snap = join(cache, 'models--bert-tiny', 'snapshots', C1);
  await mkdir(snap, { recursive: true });
  await mkdir(join(cache, 'models--bert-tiny', 'refs'), { recursive: true });
  await writeFile(join(cache, 'models--bert-tiny', 'refs', 'main'), C1);
  expect(await resolveModel('bert-tiny', { cacheDir: cache })).toBe(snap);
  await expect(resolveModel('never-downloaded', { cacheDir: cache })).rejects.toThrow(
    `model 'never-downloaded' is not a folder and is not in the Hugging Face cache (${cache}); run: celens download never-downloaded --cache-dir ${cache}`,
  );
  // from_pretrained('bert-tiny') loads ./bert-tiny when that folder exists; so does celens.
  const cwd = process.cwd();
  const work = await mkdtemp(join(tmpdir(), 'celens-cwd-'));
  try {
    await mkdir(join(work, 'bert-tiny'));
    await writeFile(join(work, 'config.json'), '{}');
    process.chdir(work);
    expect(await resolveModel('bert-tiny', { cacheDir: cache })).toBe('bert-tiny');
    // A file is a path too: the loader reports it, not the hub cache.
    expect(await resolveModel('config.json', { cacheDir: cache })).toBe('config.json');
  } finally {
    process.chdir(cwd);
    await rm(work, { recursive: true, force: true });
  }
});

test('the default cache follows huggingface_hub: HF_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME, ~/.cache', () => {
  for (const k of ENV) delete process.env[k];
  expect(hubCacheDir()).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
  process.env['XDG_CACHE_HOME'] = '/xdg';
  expect(hubCacheDir()).toBe('/xdg/huggingface/hub');
  process.env['HF_HOME'] = '/hf-home';
  expect(hubCacheDir()).toBe('/hf-home/hub');
  process.env['HF_HUB_CACHE'] = '/hf-hub-cache';
  expect(hubCacheDir()).toBe('/hf-hub-cache');
  expect(hubCacheDir('/given')).toBe('/given');
});
