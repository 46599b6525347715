/**
 * The torn-line rule of append-only journals: a resuming writer cuts a torn last line off the file;
 * every other reader leaves the file alone, skips the line and says so.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { journalLines, JournalWriter, resumeJournal, tornNote } from '../../src/formats/journal.js';
import type { JournalLine, TornLine } from '../../src/formats/journal.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-journal-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const collect = async <T>(g: AsyncGenerator<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
};

// Multi-byte text before the torn line: the cut must fall on the byte after the last '\n'.
const WHOLE = '{"h":"é→"}\n\n  \n{"n":1}\n';
const TORN = '{"n":2,"tex';

test('a reader leaves the file alone: complete lines with their numbers, the torn one reported', async () => {
  const file = path.join(tmp, 'read.jsonl');
  await writeFile(file, WHOLE + TORN);
  const torn: TornLine[] = [];
  const lines = await collect(journalLines(file, (t) => torn.push(t)));
  expect(lines.map((l) => [l.text, l.line])).toEqual([['{"h":"é→"}', 1], ['{"n":1}', 4]]);
  expect(torn).toEqual([{ line: 5, offset: Buffer.byteLength(WHOLE), bytes: TORN.length }]);
  expect(tornNote(file, torn[0] as TornLine)).toBe(`${file}:5: torn last line (no newline, 11 bytes) left out: the run writing this file was stopped mid-line or is still running`);
  expect(await readFile(file, 'utf8')).toBe(WHOLE + TORN);
  await expect(collect(journalLines(path.join(tmp, 'missing.jsonl')))).rejects.toThrow(`${path.join(tmp, 'missing.jsonl')}: cannot read (ENOENT)`);
});

test('a resuming writer cuts the torn line, and its appends start on a line boundary', async () => {
  const file = path.join(tmp, 'resume.jsonl');
  await writeFile(file, WHOLE + TORN);
  const lines = (await resumeJournal(file)) as JournalLine[];
  expect(lines.map((l) => l.line)).toEqual([1, 4]);
  expect(await readFile(file, 'utf8')).toBe(WHOLE);
  const w = await JournalWriter.open(file, undefined);
  await w.line({ n: 2, text: 'again' });
  await w.lines('q1\td1\t0.5\n');
  await w.close();
  expect(await readFile(file, 'utf8')).toBe(`${WHOLE}{"n":2,"text":"again"}\nq1\td1\t0.5\n`);
  // Nothing to resume: no file, an empty one, or only a torn line (cut to an empty file).
  expect(await resumeJournal(path.join(tmp, 'none.jsonl'))).toBeUndefined();
  await writeFile(file, '{"celens":');
  expect(await resumeJournal(file)).toBeUndefined();
  expect(await readFile(file, 'utf8')).toBe('');
});

test('a new journal gets its header first', async () => {
  const file = path.join(tmp, 'new.jsonl');
  const w = await JournalWriter.open(file, { celens: 'x', version: 1 });
  await w.line({ a: 1 });
  await w.close();
  expect(await readFile(file, 'utf8')).toBe('{"celens":"x","version":1}\n{"a":1}\n');
});
