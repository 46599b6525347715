/** Reading journals without touching them: offsets, torn lines, bad headers and records. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { jsonlLines, openAttribution } from '../../src/analysis/read-records.js';
import type { RecordLine } from '../../src/analysis/read-records.js';
import { header, record } from './make-records.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-read-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const collect = async <T>(g: AsyncGenerator<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

test('lines carry byte offsets that slice the file back (multi-byte text included)', async () => {
  const file = path.join(tmp, 'lines.jsonl');
  await writeFile(file, 'ab\n\n"é→x"\nlast\n');
  const lines = await collect(jsonlLines(file));
  expect(lines.map((l) => [l.text, l.line])).toEqual([['ab', 1], ['"é→x"', 3], ['last', 4]]);
  const bytes = await readFile(file);
  for (const l of lines) expect(bytes.subarray(l.offset, l.offset + l.bytes).toString('utf8')).toBe(l.text);
});

test('header then records; a torn last line is an error and the file is left as it was', async () => {
  const file = path.join(tmp, 'torn.jsonl');
  const text = `${JSON.stringify(header(2))}\n${JSON.stringify(record(0, { layers: [[1]] }))}\n{"index":1,"len`;
  await writeFile(file, text);
  const { header: h, records } = await openAttribution(file);
  expect(h.count).toBe(2);
  const seen: RecordLine[] = [];
  await expect((async () => {
    for await (const r of records) seen.push(r);
  })()).rejects.toThrow(`${file}:3: torn last line (no newline)`);
  expect(seen.map((r) => r.record.index)).toEqual([0]);
  expect(await readFile(file, 'utf8')).toBe(text);
});

test('not a journal: wrong extension, empty, no header, bad JSON, not a record', async () => {
  const write = async (name: string, text: string): Promise<string> => {
    const f = path.join(tmp, name);
    await writeFile(f, text);
    return f;
  };
  await expect(openAttribution(path.join(tmp, 'x.safetensors'))).rejects.toThrow('x.safetensors: expected an attribution journal (.jsonl');
  await expect(openAttribution(await write('empty.jsonl', ''))).rejects.toThrow('empty.jsonl: empty file: no attribution header');
  await expect(openAttribution(await write('other.jsonl', '{"celens":"sweep"}\n'))).rejects.toThrow('other.jsonl:1: not a celens attribution file');
  await expect(openAttribution(path.join(tmp, 'missing.jsonl'))).rejects.toThrow('missing.jsonl: cannot read (ENOENT)');
  const bad = await write('bad.jsonl', `${JSON.stringify(header(1))}\n{"index":0,\n`);
  await expect(collect((await openAttribution(bad)).records)).rejects.toThrow('bad.jsonl:2: not a JSON line');
  const noSum = await write('nosum.jsonl', `${JSON.stringify(header(1))}\n{"index":0,"length":3}\n`);
  await expect(collect((await openAttribution(noSum)).records)).rejects.toThrow('nosum.jsonl:2: not an attribution record: no "sum"');
});
