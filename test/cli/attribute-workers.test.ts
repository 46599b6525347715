/** `celens attribute --workers N`: the file a worker pool writes is the 1-worker file, byte for byte. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { liveWorkers } from '../../src/jobs/pool.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';

const IN = join(FIXTURE_DIR, 'reference.safetensors');

describe('celens attribute --workers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'celens-attribute-workers-'));
  });

  test('--workers 2 writes the same JSONL as --workers 1', async () => {
    const args = ['attribute', FIXTURE_DIR, '--inputs', IN, '--steps', '20', '--pairs-per-batch', '1', '--per-token'];
    const one = join(dir, 'one.jsonl');
    const two = join(dir, 'two.jsonl');
    const r1 = await runCli([...args, '--out', one]);
    expect(r1.stderr).toMatch(/wrote (4 of )?4 pairs/);
    expect(r1.code).toBe(0);
    const r2 = await runCli([...args, '--workers', '2', '--out', two]);
    expect(r2.stderr).toMatch(/wrote (4 of )?4 pairs/);
    expect(r2.code).toBe(0);
    expect(await readFile(two, 'utf8')).toBe(await readFile(one, 'utf8'));
    expect(liveWorkers()).toBe(0);
  });

  test('--workers must be a positive integer', async () => {
    const r = await runCli(['attribute', FIXTURE_DIR, '--inputs', IN, '--workers', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--workers must be an integer >= 1/);
  });
});
