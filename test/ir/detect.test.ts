/** Every folder of the shared data that holds a collection loads through loadCollection. */
import path from 'node:path';
import { TrecFormatError } from '../../src/errors.js';
import { collectionStats } from '../../src/ir/collection.js';
import { detectFormat, loadCollection } from '../../src/ir/detect.js';

const DATA = path.resolve(process.cwd(), '../shared/data');

test.each([
  ['adi', 'smart', 35, 82],
  ['cisi', 'smart', 112, 1460],
  ['cranfield', 'smart', 225, 1400],
  ['medline', 'smart', 30, 1033],
  ['vaswani-npl', 'npl', 93, 11429],
  ['noveleval-2306', 'noveleval', 21, 420],
  ['trec-dl-2019-passage', 'rankllm', 43, 4297],
  ['trec-dl-2020-passage', 'rankllm', 54, 5396],
])('%s is detected as %s (%i queries, %i docs)', async (dir, format, queries, docs) => {
  const c = await loadCollection(path.join(DATA, dir));
  expect(c.format).toBe(format);
  expect(c.name).toBe(dir);
  expect(collectionStats(c)).toMatchObject({ queries, docs });
});

test('a file: rank_llm JSON directly, anything else stands for its folder', async () => {
  const json = path.join(DATA, 'trec-dl-2019-passage', 'retrieve_results_dl19.json');
  expect(await detectFormat(json)).toBe('rankllm');
  expect((await loadCollection(json)).name).toBe('retrieve_results_dl19.json');
  expect(await detectFormat(path.join(DATA, 'cranfield', 'cran.qry'))).toBe('smart');
});

test('--format forces a reader', async () => {
  const c = await loadCollection(path.join(DATA, 'trec-dl-2019-passage'), { format: 'trec' });
  expect(c.format).toBe('trec');
  expect(c.docs.size).toBe(0);
});

test('folders without a collection and missing paths are TrecFormatErrors naming them', async () => {
  const model = path.join(DATA, 'ms-marco-MiniLM-L-6-v2');
  await expect(loadCollection(model)).rejects.toThrow(TrecFormatError);
  await expect(loadCollection(model)).rejects.toThrow(`${model}: no collection found`);
  await expect(loadCollection(path.join(DATA, 'nope'))).rejects.toThrow(`${path.join(DATA, 'nope')}: no such file or folder`);
  await expect(loadCollection(path.join(DATA, 'adi'), { format: 'npl' })).rejects.toThrow('no TREC SGML collection here');
});
