/** A folder of plain TREC files; the DL folders read this way too. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { collectionStats } from '../../../src/ir/collection.js';
import { loadTrecFolder } from '../../../src/ir/formats/trec-folder.js';

const DATA = path.resolve(process.cwd(), '../shared/data');

test('DL19 and DL20 as TREC files: topics, qrels, run (SOURCE.md counts)', async () => {
  const dl19 = await loadTrecFolder(path.join(DATA, 'trec-dl-2019-passage'));
  expect(collectionStats(dl19)).toEqual({ queries: 43, docs: 0, judgements: 9260, judgedQueries: 43, runQueries: 43, runEntries: 4300 });
  const dl20 = await loadTrecFolder(path.join(DATA, 'trec-dl-2020-passage'));
  expect(collectionStats(dl20)).toMatchObject({ queries: 200, judgements: 11386, judgedQueries: 54, runEntries: 5400 });
  // SOURCE.md: 200 released topics, 54 judged.
  expect(dl20.warnings).toEqual([expect.stringMatching(/^trec-dl-2020-passage: 146 queries have no judgements and cannot be evaluated/)]);
});

test('a made folder with a corpus; two files for one role are refused', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'celens-trecdir-'));
  try {
    await writeFile(path.join(dir, 'queries.tsv'), '1\tflea\n');
    await writeFile(path.join(dir, 'qrels.txt'), '1 0 a 1\n2 0 b 1\n');
    await writeFile(path.join(dir, 'corpus.tsv'), 'a\tfleas live\n');
    await writeFile(path.join(dir, 'run.txt'), '1 Q0 a 1 3 x\n1 Q0 z 2 2 x\n');
    const c = await loadTrecFolder(dir);
    expect(collectionStats(c)).toEqual({ queries: 1, docs: 1, judgements: 2, judgedQueries: 2, runQueries: 1, runEntries: 2 });
    expect(c.warnings.map((w) => w.replace(/^[^:]*: /, ''))).toEqual([
      '1 judged qid has no query text (2)',
      '1 retrieved docno has no document text (z)',
      '1 judged docno is not in the corpus (b)',
    ]);
    await writeFile(path.join(dir, 'qrels.old'), '');
    await expect(loadTrecFolder(dir)).rejects.toThrow(`${dir}: several qrels files (qrels.old, qrels.txt): keep one`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
