/** BEIR folders, on a small one made here. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadBeir, parseBeirJsonl, parseBeirQrels } from '../../../src/ir/formats/beir.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'celens-beir-'));
  await mkdir(path.join(dir, 'qrels'));
  await writeFile(path.join(dir, 'corpus.jsonl'), '{"_id": "d1", "title": "Fleas", "text": "live a year"}\n{"_id": "d2", "title": "", "text": "dogs"}\n');
  await writeFile(path.join(dir, 'queries.jsonl'), '{"_id": "q1", "text": "flea life"}\n{"_id": "q2", "text": "train only"}\n');
  await writeFile(path.join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td9\t1\n');
  await writeFile(path.join(dir, 'qrels', 'train.tsv'), 'query-id\tcorpus-id\tscore\nq2\td2\t1\n');
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

test('title and text joined; the split chooses the queries; missing judged docs reported', async () => {
  const c = await loadBeir(dir);
  expect(c.docs).toEqual(new Map([['d1', 'Fleas live a year'], ['d2', 'dogs']]));
  expect(c.queries).toEqual(new Map([['q1', 'flea life']]));
  expect(c.qrels.get('q1')).toEqual(new Map([['d1', 2], ['d9', 1]]));
  expect(c.warnings).toEqual([`${path.basename(dir)}: 1 judged docno is not in the corpus (d9)`]);
  expect([...(await loadBeir(dir, 'train')).queries.keys()]).toEqual(['q2']);
  await expect(loadBeir(dir, 'dev')).rejects.toThrow("no split 'dev' (have: test, train)");
});

test('errors name file and line', () => {
  expect(() => parseBeirJsonl('{"_id": "a", "text": "x"}\n{oops\n', 'corpus.jsonl')).toThrow('corpus.jsonl:2: not valid JSON (column 2: ');
  expect(() => parseBeirJsonl('{"_id": "a"}\n', 'corpus.jsonl')).toThrow("corpus.jsonl:1: 'text' must be a string");
  expect(() => parseBeirQrels('query-id\tcorpus-id\tscore\nq1 d1 1\n', 'test.tsv')).toThrow('test.tsv:2: expected 3 tab-separated columns, found 1');
});
