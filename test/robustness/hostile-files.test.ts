/**
 * Hostile files end in the project's own typed error, with one line, before any allocation the size
 * of their claims; the fuzz targets (fuzz/targets/*.fuzz.ts) accept their whole seed corpus. The
 * crafted inputs here are the regression corpus of what fuzzing found (docs/fuzzing.md).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CelensError, ConfigError, SafetensorsError, TokenizerError } from '../../src/errors.js';
import { loadTokenizer } from '../../src/tokenize/load.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { readConfig } from '../../src/weights/config.js';
import { readJournal } from '../../src/jobs/records.js';
import { parseShardIndex } from '../../src/weights/sharded.js';
import { SEEDS } from '../../fuzz/seeds.js';
import type { FuzzTarget } from '../../fuzz/engine.js';
import { removeScratch } from '../../fuzz/oracle.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'celens-hostile-'));
});
afterAll(async () => {
  removeScratch();
  await rm(tmp, { recursive: true, force: true });
});

/** A safetensors file: 8-byte length, the header text, `data` bytes after it. */
function safetensors(header: string | object, data = 0, length?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(json.length));
  return Buffer.concat([prefix, json, Buffer.alloc(data)]);
}

async function rejects(name: string, bytes: Buffer | string, read: (file: string) => Promise<unknown>, cls: typeof CelensError, message: RegExp): Promise<void> {
  const file = join(tmp, name);
  await writeFile(file, bytes);
  const before = process.memoryUsage().arrayBuffers;
  const err = await read(file).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(cls);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain('\n');
  // Nothing near the claimed sizes was allocated (the claims below are gigabytes to exabytes).
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
}

describe('safetensors claims are checked before anything is allocated', () => {
  test('a header length of 2^60 bytes', () =>
    rejects('h60.safetensors', safetensors('{}', 0, 2n ** 60n), readSafetensors, SafetensorsError, /header length 1152921504606846976 exceeds the 100000000-byte limit/));
  test('a header length past the end of the file', () =>
    rejects('past.safetensors', safetensors('{}', 0, 90_000_000n), readSafetensors, SafetensorsError, /runs past the end of the file/));
  test('a shape whose element count overflows', () =>
    rejects('overflow.safetensors', safetensors({ x: { dtype: 'F32', shape: [2 ** 32, 2 ** 32, 2 ** 32], data_offsets: [0, 0] } }), readSafetensors, SafetensorsError, /tensor 'x': shape .* has too many elements/));
  test('a declared 10 GB tensor in a small file', () =>
    rejects('10gb.safetensors', safetensors({ x: { dtype: 'F32', shape: [2684354560], data_offsets: [0, 10737418240] } }, 16), readSafetensors, SafetensorsError, /data_offsets end 10737418240 is past the data section \(16 bytes\)/));
  test('a header that is not JSON quotes it on one line', () =>
    rejects('nl.safetensors', safetensors('{\n"x":\n]'), readSafetensors, SafetensorsError, /header is not valid JSON/));
});

describe('config.json and the shard index', () => {
  test('num_hidden_layers of 10^9 is refused before per-layer arrays are made', () =>
    rejects('config.json', JSON.stringify({ num_hidden_layers: 1e9 }), readConfig, ConfigError, /"num_hidden_layers" must be at most 1000 \(expected \?, found 1000000000\)/));
  test('a malformed config names the problem on one line', () =>
    rejects('bad-config.json', '{\n  "hidden_size": 32,\n  ]\n}', readConfig, ConfigError, /not valid JSON/));
  test('a shard outside the model folder', () => {
    expect(() => parseShardIndex('{"weight_map": {"a": "../x.safetensors"}}', 'i.json')).toThrow(/weight_map entry is not a file name in the same folder/);
  });
});

// Found by fuzzing: the binding loads such a template and then panics in Rust on the first encode,
// which aborts the whole process (exit 134) — here it must be a TokenizerError at load.
test.each([
  ['a template naming a special token it does not define', (pp: Record<string, unknown>) => ({ ...pp, special_tokens: { '[CLS]': (pp.special_tokens as Record<string, unknown>)['[CLS]'] } })],
  ['the same under a misspelt "type" (the binding reads templates by shape)', (pp: Record<string, unknown>) => ({ ...pp, type: 'TemplateProcessin-1g', pair: [{ SpecialToken: { id: '*[SEP]', type_id: 0 } }] })],
])('tokenizer.json: %s', async (_name, edit) => {
  const json = JSON.parse(await readFile(join(process.cwd(), '../shared/data/ms-marco-MiniLM-L-6-v2/tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const dir = join(tmp, `tok-${_name.length}`);
  await mkdir(dir);
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify({ ...json, post_processor: edit(json.post_processor as Record<string, unknown>) }));
  await expect(loadTokenizer(dir)).rejects.toThrow(TokenizerError);
  await expect(loadTokenizer(dir)).rejects.toThrow(/post_processor: the (single|pair) template uses special token "(\[SEP\]|\*\[SEP\])", which its special_tokens do not define/);
});

describe('attribution journals (what a resume reads)', () => {
  const header = '{"celens":"attribute","version":1,"method":"nig","model":"m","count":2,"options":{}}\n';
  const record = (o: object): string => `${JSON.stringify({ index: 0, length: 4, segments: { length: 4, cls: 0, query: [1, 1], sep1: 1, passage: [2, 3], sep2: 3 }, target: { input: 1, baseline: 0 }, completeness: [null], sum: { s: [1, 2] }, segments_sum: { s: [[0, 0], [0, 0], [0, 0], [0, 0], [0, 0]] }, ...o })}\n`;
  test.each([
    ['a null header', 'null\n', /:1: not a celens attribution file/],
    ['a null record', `${header}null\n`, /:2: not a celens attribution record: not an object/],
    ['an index past the count', header + record({ index: 2 }), /:2: not a celens attribution record: index 2 is not in 0…1/],
    ['widths that disagree', header + record({ segments_sum: { s: [[0], [0], [0], [0], [0]] } }), /segments_sum of s is not 5 rows of 2/],
    ['a missing sum', header + record({ sum: undefined }), /bad sum, segments_sum or per_token/],
  ])('%s', async (_name, text, message) => rejects('j.jsonl', text, readJournal, CelensError, message));
  test('a well-formed record reads back', async () => {
    await writeFile(join(tmp, 'ok.jsonl'), header + record({}));
    expect((await readJournal(join(tmp, 'ok.jsonl')))?.records.get(0)?.sum).toEqual({ s: [1, 2] });
  });
});

// Every target on its seeds: the targets stay runnable and the seeds stay clean (a finding here
// means a parser or a seed changed; `npm run fuzz` then explores from these same seeds).
const targets = readdirSync(join(process.cwd(), 'fuzz/targets')).filter((f) => f.endsWith('.fuzz.ts')).map((f) => f.replace(/\.fuzz\.ts$/, ''));
test.each(targets)('fuzz target %s accepts its seed corpus', async (name) => {
  const target = (await import(`../../fuzz/targets/${name}.fuzz.js`)) as FuzzTarget;
  const seeds = await SEEDS[name]?.();
  expect(seeds?.length).toBeGreaterThan(0);
  for (const s of seeds ?? []) await target.fuzz(s);
});
