/** One JSON error for every JSON file: file, line and column, the caller's error class. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CelensError, ConfigError, SiteError } from '../../src/errors.js';
import { parseJson, readJsonFile } from '../../src/formats/json.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-json-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const thrown = (f: () => unknown): CelensError => {
  try {
    f();
  } catch (e) {
    if (e instanceof CelensError) return e;
    throw e;
  }
  throw new Error('did not throw');
};

test('a syntax error names file, line and column, on one line', () => {
  const e = thrown(() => parseJson('{\n  "a": [1,\n  }\n}', 'x.json'));
  expect(e.file).toBe('x.json');
  expect(e.line).toBe(3);
  expect(e.message).toMatch(/^x\.json:3: not valid JSON \(column 3: Unexpected token '}', .*\)$/);
  expect(e.message).not.toContain('\n');
  expect(thrown(() => parseJson('', 'e.json')).message).toBe('e.json:1: not valid JSON (column 1: Unexpected end of JSON input)');
});

test('the caller keeps its error class; a JSONL line is named by its line in the file; a hint ends the message', () => {
  expect(thrown(() => parseJson('{"a" 1}', 'c.json', { error: ConfigError }))).toBeInstanceOf(ConfigError);
  const e = thrown(() => parseJson('{"index": 0,', 'j.jsonl', { line: 7, hint: 'delete the file to start over' }));
  expect(e.line).toBe(7);
  expect(e.message).toMatch(/^j\.jsonl:7: not valid JSON \(column 13: .*\); delete the file to start over$/);
  expect(parseJson('{"a": [1, 2]}', 'ok.json')).toEqual({ a: [1, 2] });
});

test('nesting too deep for the position scan is still a CelensError (no position)', () => {
  const e = thrown(() => parseJson(`${'['.repeat(200_000)}x`, 'deep.json', { error: SiteError }));
  expect(e).toBeInstanceOf(SiteError);
  expect(e.message.startsWith('deep.json')).toBe(true);
  expect(e.message).toContain('not valid JSON (');
});

test('readJsonFile: cannot read (ENOENT) or not valid JSON, naming the file', async () => {
  const none = path.join(tmp, 'none.json');
  await expect(readJsonFile(none)).rejects.toThrow(`${none}: cannot read (ENOENT)`);
  await expect(readJsonFile(none, { what: 'mask', error: SiteError })).rejects.toThrow(new SiteError('cannot read mask (ENOENT)', { file: none }));
  const bad = path.join(tmp, 'bad.json');
  await writeFile(bad, '{"layer.0.ffn": [1, 2,]}\n');
  await expect(readJsonFile(bad)).rejects.toThrow(`${bad}:1: not valid JSON (column 23: `);
  await writeFile(bad, '{"layer.0.ffn": [1, 2]}\n');
  expect(await readJsonFile(bad)).toEqual({ 'layer.0.ffn': [1, 2] });
});
