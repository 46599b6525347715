/** `celens attribute --shard i/N` ×N then `celens merge` = the unsharded `celens attribute`, bit for bit. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';

const IN = join(FIXTURE_DIR, 'reference.safetensors');
const ARGS = ['attribute', FIXTURE_DIR, '--inputs', IN, '--steps', '4', '--pairs-per-batch', '1'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-cli-merge-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

test('three shards merged into .jsonl and .safetensors equal the unsharded files', async () => {
  for (const out of ['full.jsonl', 'full.safetensors']) expect((await runCli([...ARGS, '--out', join(dir, out)])).code).toBe(0);
  const shards = [0, 1, 2].map((i) => join(dir, `part-${i}.jsonl`));
  for (const [i, s] of shards.entries()) {
    const r = await runCli([...ARGS, '--shard', `${i}/3`, '--out', s]);
    expect(r.code).toBe(0);
  }
  const r = await runCli(['merge', join(dir, 'merged.jsonl'), ...shards.slice().reverse()]);
  expect(r.stderr).toBe(`celens: merged 3 shards (4 pairs) into ${join(dir, 'merged.jsonl')}\n`);
  expect(r.code).toBe(0);
  expect(Buffer.compare(await readFile(join(dir, 'merged.jsonl')), await readFile(join(dir, 'full.jsonl')))).toBe(0);
  expect((await runCli(['merge', join(dir, 'merged.safetensors'), ...shards])).code).toBe(0);
  expect(Buffer.compare(await readFile(join(dir, 'merged.safetensors')), await readFile(join(dir, 'full.safetensors')))).toBe(0);
  // --out, as every other command names its output, says the same.
  expect((await runCli(['merge', '--out', join(dir, 'merged2.jsonl'), ...shards])).code).toBe(0);
  expect(Buffer.compare(await readFile(join(dir, 'merged2.jsonl')), await readFile(join(dir, 'full.jsonl')))).toBe(0);
});

test('a missing shard: one line on stderr, exit 1', async () => {
  const r = await runCli(['merge', join(dir, 'x.jsonl'), join(dir, 'part-0.jsonl'), join(dir, 'part-2.jsonl')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('celens: missing shard 1/3 (have 0/3, 2/3)\n');
});

test('OUT must be .jsonl or .safetensors', async () => {
  const r = await runCli(['merge', join(dir, 'x.txt'), join(dir, 'part-0.jsonl')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`celens: ${join(dir, 'x.txt')}: merge writes OUT.jsonl or OUT.safetensors\n`);
});
