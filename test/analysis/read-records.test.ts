/** Reading journals without touching them: offsets, torn lines, bad headers and records. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openAttribution } from '../../src/analysis/read-records.js';
import { journalLines } from '../../src/formats/journal.js';
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
  const lines = await collect(journalLines(file));
  expect(lines.map((l) => [l.text, l.line])).toEqual([['ab', 1], ['"é→x"', 3], ['last', 4]]);
  const bytes = await readFile(file);
  for (const l of lines) expect(bytes.subarray(l.offset, l.offset + l.bytes).toString('utf8')).toBe(l.text);
});

test('header then records; a torn last line is left out with a note and the file is left as it was', async () => {
  const file = path.join(tmp, 'torn.jsonl');
  const text = `${JSON.stringify(header(2))}\n${JSON.stringify(record(0, { layers: [[1]] }))}\n{"index":1,"len`;
  await writeFile(file, text);
  const notes: string[] = [];
  const { header: h, records } = await openAttribution(file, { warn: (m) => notes.push(m) });
  expect(h.count).toBe(2);
  const seen: RecordLine[] = await collect(records);
  expect(seen.map((r) => r.record.index)).toEqual([0]);
  expect(notes).toEqual([`${file}:3: torn last line (no newline, 15 bytes) left out: the run writing this file was stopped mid-line or is still running`]);
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
  await expect(collect((await openAttribution(bad)).records)).rejects.toThrow('bad.jsonl:2: not valid JSON (column 12: ');
  const noSum = await write('nosum.jsonl', `${JSON.stringify(header(1))}\n{"index":0,"length":3}\n`);
  await expect(collect((await openAttribution(noSum)).records)).rejects.toThrow('nosum.jsonl:2: not a celens attribution record: bad length or segments');
});

test('every record line is checked as a resume checks it: a malformed one names file:line', async () => {
  const good = JSON.stringify(record(0, { layers: [[1, 2]] }));
  const cases: Array<[string, string, string]> = [
    ['past-count', JSON.stringify(record(3, { layers: [[1, 2]] })), 'not a celens attribution record: index 3 is not in 0…1'],
    ['not-numbers', good.replace('"layer.0.ffn.pre":[1,2]', '"layer.0.ffn.pre":[1,"2"]'), 'not a celens attribution record: sum of layer.0.ffn.pre is not a list of numbers'],
    ['short-segments', good.replace(/"segments_sum":\{.*\}\}$/, '"segments_sum":{"layer.0.ffn.pre":[[0,0]]}}'), 'not a celens attribution record: segments_sum of layer.0.ffn.pre is not 5 rows of 2'],
  ];
  for (const [name, line, message] of cases) {
    const file = path.join(tmp, `${name}.jsonl`);
    await writeFile(file, `${JSON.stringify(header(2))}\n${good}\n\n${line}\n`);
    await expect(collect((await openAttribution(file)).records)).rejects.toThrow(`${file}:4: ${message}`);
  }
});
