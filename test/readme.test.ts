/**
 * The README's Library section runs as written: every ```ts block is written out as a module
 * inside this package (so `import … from 'celens'` resolves to the built package through its
 * "exports", as it does for a user) and run with node.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = process.cwd();
const DIR = path.join(ROOT, 'test/.readme-blocks');

async function libraryBlocks(): Promise<string[]> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  const end = readme.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThan(0);
  return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

beforeAll(async () => mkdir(DIR, { recursive: true }));
afterAll(async () => rm(DIR, { recursive: true, force: true }));

test('the Library section has the model example and the celens/ir example', async () => {
  const blocks = await libraryBlocks();
  expect(blocks).toHaveLength(2);
  expect(blocks[0]).toContain("from 'celens'");
  expect(blocks[1]).toContain("from 'celens/ir'");
});

test('the model example runs: two scores, the captured shapes, halved attention changes the logits', async () => {
  const [block] = await libraryBlocks();
  const file = path.join(DIR, 'model.mjs');
  await writeFile(file, block as string);
  const { stdout } = await run(process.execPath, [file], { cwd: ROOT, timeout: 120_000 });
  const scores = /^scores \[ (-?[\d.e-]+), (-?[\d.e-]+) \]$/m.exec(stdout);
  expect(scores).not.toBeNull();
  // The FFN width is the embedded model's (its config.json); the example captures layer 1.
  const ffn = (JSON.parse(await readFile(path.join(ROOT, 'weights/celens-ce-tiny/config.json'), 'utf8')) as { intermediate_size: number }).intermediate_size;
  expect(stdout).toMatch(new RegExp(`^logits \\[ 2, 1 \\] ffn\\.post \\[ 2, \\d+, ${ffn} \\] grad \\[ 2, \\d+, ${ffn} \\]$`, 'm'));
  // The embedded model scores raw logits (its config says Identity): the halved run must differ from them.
  const halved = /^halved attention \[ (-?[\d.e-]+), (-?[\d.e-]+) \]$/m.exec(stdout);
  expect(halved).not.toBeNull();
  expect(Math.abs(Number(halved?.[1]) - Number(scores?.[1]))).toBeGreaterThan(1e-6);
});

test('the celens/ir example runs and prints the BM25 figures trec_eval gives (nDCG@10 0.5058, RR@10 0.8233)', async () => {
  const [, block] = await libraryBlocks();
  const file = path.join(DIR, 'ir.mjs');
  await writeFile(file, block as string);
  const { stdout } = await run(process.execPath, [file], { cwd: ROOT, timeout: 120_000 });
  const value = (m: string): number => Number(new RegExp(`'${m}': ([\\d.]+)`).exec(stdout)?.[1]);
  expect(Math.abs(value('nDCG@10') - 0.5058)).toBeLessThanOrEqual(5e-5);
  expect(Math.abs(value('RR@10') - 0.8233)).toBeLessThanOrEqual(5e-5);
});
