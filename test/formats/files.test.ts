/** writeFileAtomic: whole or not at all, no temporary left behind, errors naming the file. */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CelensError, ConfigError } from '../../src/errors.js';
import { readText, readTextIfExists, writeFileAtomic } from '../../src/formats/files.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-files-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const fresh = async (name: string): Promise<string> => {
  const d = path.join(tmp, name);
  await mkdir(d);
  return d;
};

test('writes and replaces; concurrent writers of one file never share a temporary', async () => {
  const d = await fresh('replace');
  const f = path.join(d, 'out.txt');
  await writeFile(f, 'old');
  await writeFileAtomic(f, 'new text\n');
  expect(await readFile(f, 'utf8')).toBe('new text\n');
  const versions = Array.from({ length: 8 }, (_v, i) => `version ${i}\n`.repeat(1000));
  await Promise.all(versions.map((v) => writeFileAtomic(f, Buffer.from(v))));
  expect(versions).toContain(await readFile(f, 'utf8'));
  expect(await readdir(d)).toEqual(['out.txt']);
});

test('a failed write leaves the old file whole and no temporary', async () => {
  const d = await fresh('fail');
  const f = path.join(d, 'out.jsonl');
  await writeFile(f, 'the old contents\n');
  // The content fails half-way (a full disk, a lost input): what was written so far never shows.
  const err = await writeFileAtomic(f, async (fh) => {
    await fh.write('half of the new');
    throw Object.assign(new Error('no space left'), { code: 'ENOSPC' });
  }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CelensError);
  expect((err as Error).message).toBe(`${f}: cannot write (ENOSPC)`);
  expect(await readFile(f, 'utf8')).toBe('the old contents\n');
  expect(await readdir(d)).toEqual(['out.jsonl']);
  // A CelensError of the content itself is passed on as it is.
  await expect(writeFileAtomic(f, async () => {
    throw new CelensError('changed while merging', { file: 'shard.jsonl' });
  })).rejects.toThrow(/^shard\.jsonl: changed while merging$/);
  expect(await readdir(d)).toEqual(['out.jsonl']);
});

test('the rename fails (the target is a folder): the error names it, in the caller\'s class', async () => {
  const d = await fresh('rename');
  const target = path.join(d, 'a-folder');
  await mkdir(target);
  const err = await writeFileAtomic(target, 'x', { error: ConfigError }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as Error).message).toBe(`${target}: cannot write (EISDIR)`);
  expect(await readdir(d)).toEqual(['a-folder']);
  await expect(writeFileAtomic(path.join(d, 'no-such-dir', 'x.json'), 'x')).rejects.toThrow(`${path.join(d, 'no-such-dir', 'x.json')}: cannot write (ENOENT)`);
});

test('readText and readTextIfExists name the file and what it is', async () => {
  const none = path.join(tmp, 'none.json');
  await expect(readText(none, { what: 'config', error: ConfigError })).rejects.toThrow(new ConfigError('cannot read config (ENOENT)', { file: none }));
  await expect(readText(none)).rejects.toThrow(`${none}: cannot read (ENOENT)`);
  expect(await readTextIfExists(none)).toBeUndefined();
  await expect(readTextIfExists(tmp)).rejects.toThrow(`${tmp}: cannot read (EISDIR)`);
});
