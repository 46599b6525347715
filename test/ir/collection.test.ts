/** Cross-checks and empty-text reports shared by every loader. */
import { collectionStats, crossCheck, emptyTexts } from '../../src/ir/collection.js';

test('crossCheck reports each kind of mismatch once, with a sample of ids', () => {
  const c = {
    queries: new Map([['1', 'q'], ['2', 'r']]),
    docs: new Map([['a', 'x']]),
    qrels: new Map([['1', new Map([['a', 1], ['b', 0]])], ['3', new Map([['a', 1]])]]),
    run: new Map([['9', [{ docid: 'z', score: 1, rank: 1 }]]]),
  };
  expect(crossCheck(c, 'c', { judgedDocs: true })).toEqual([
    'c: 1 judged qid has no query text (3)',
    'c: 1 query has no judgements and cannot be evaluated (2)',
    'c: 1 qid in the run has no query text (9)',
    'c: 1 retrieved docno has no document text (z)',
    'c: 1 judged docno is not in the corpus (b)',
  ]);
  expect(collectionStats({ name: 'c', format: 'trec', warnings: [], ...c })).toEqual({ queries: 2, docs: 1, judgements: 3, judgedQueries: 2, runQueries: 1, runEntries: 1 });
});

test('empty texts are grouped into one line', () => {
  const texts = new Map(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => [id, id === 'g' ? 'text' : ' ']));
  expect(emptyTexts(texts, 'document', 'f.tsv')).toEqual(['f.tsv: 6 documents have empty text (a, b, c, d, e, …)']);
  expect(emptyTexts(new Map([['1', '']]), 'query', 'q')).toEqual(['q: 1 query has empty text (1)']);
});
