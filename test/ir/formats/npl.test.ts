/** TREC SGML documents and topics; the shared NPL (Vaswani) collection. */
import path from 'node:path';
import { collectionStats } from '../../../src/ir/collection.js';
import { loadNpl, parseTrecDocs, parseTrecTopicsSgml } from '../../../src/ir/formats/npl.js';

test('documents', () => {
  const docs = parseTrecDocs('<DOC>\n<DOCNO> 7 </DOCNO>\n<TEXT>\nsome text\nmore\n</TEXT>\n</DOC>\n', 'd.trec');
  expect(docs).toEqual(new Map([['7', 'some text more']]));
  expect(() => parseTrecDocs('<DOC>\ntext\n</DOC>\n', 'd.trec')).toThrow('d.trec:3: <DOC> opened at line 1 has no <DOCNO>');
  expect(() => parseTrecDocs('stray\n', 'd.trec')).toThrow('d.trec:1: text outside <DOC> … </DOC>');
  expect(() => parseTrecDocs('<DOC>\n<DOCNO>1</DOCNO>\n', 'd.trec')).toThrow('d.trec: <DOC> opened at line 1 is never closed');
  expect(() => parseTrecDocs('<DOC>\n<DOCNO>1</DOCNO>\n</DOC>\n<DOC>\n<DOCNO>1</DOCNO>\n</DOC>\n', 'd')).toThrow('d:5: docno 1 appears twice (first at line 2)');
});

test('topics', () => {
  const t = parseTrecTopicsSgml('<top>\n<num>1</num><title>\nMEASUREMENT OF\n DIELECTRIC\n</title>\n</top>\n<top>\n<num> Number: 301\n<title> Topic: oil\n<desc> ignored\n</top>\n', 'q.trec');
  expect(t).toEqual(new Map([['1', 'MEASUREMENT OF DIELECTRIC'], ['301', 'oil']]));
  expect(() => parseTrecTopicsSgml('<top>\n<title>x</title>\n</top>\n', 'q.trec')).toThrow('q.trec:3: topic opened at line 1 has no <num>');
});

test('shared vaswani-npl: 11429 docs, 93 topics, 2083 judgements over all 93 (SOURCE.md)', async () => {
  const c = await loadNpl(path.resolve(process.cwd(), '../shared/data/vaswani-npl'));
  expect(collectionStats(c)).toMatchObject({ docs: 11429, queries: 93, judgements: 2083, judgedQueries: 93 });
  expect(c.queries.get('1')).toBe('MEASUREMENT OF DIELECTRIC CONSTANT OF LIQUIDS BY THE USE OF MICROWAVE TECHNIQUES');
  expect(c.warnings).toEqual([]);
});
