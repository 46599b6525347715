/** rank_llm retrieve_results JSON; the shared DL19/DL20 folders. */
import path from 'node:path';
import { collectionStats } from '../../../src/ir/collection.js';
import { loadRankLlm, parseRankLlm } from '../../../src/ir/formats/rankllm.js';
import { readRun } from '../../../src/ir/trec.js';

const DATA = path.resolve(process.cwd(), '../shared/data');
const hit = (qid: number | string, docid: string, rank: number, score: number, content = `text ${docid}`): object => ({ content, qid, docid, rank, score });

test('queries, passages and run from the JSON', () => {
  const d = parseRankLlm(JSON.stringify([{ query: 'q one', hits: [hit(1, 'a', 1, 2.5), hit(1, 'b', 2, 1)] }, { query: 'q two', hits: [hit(2, 'a', 1, 3)] }]), 'r.json');
  expect(d.queries).toEqual(new Map([['1', 'q one'], ['2', 'q two']]));
  expect(d.docs.size).toBe(2);
  expect(d.run.get('1')).toEqual([{ docid: 'a', score: 2.5, rank: 1 }, { docid: 'b', score: 1, rank: 2 }]);
});

test('problems are reported or refused', () => {
  expect(() => parseRankLlm('{', 'r.json')).toThrow(/^r\.json:1: not valid JSON \(column 2: /);
  expect(() => parseRankLlm('[{"query": "x"}]', 'r.json')).toThrow('r.json: entry 0: expected {query: string, hits: [...]}');
  expect(() => parseRankLlm(JSON.stringify([{ query: 'x', hits: [hit(1, 'a', 1, 1), hit(2, 'b', 2, 0)] }]), 'r.json')).toThrow('r.json: entry 0: hits[1]: qid 2 differs from the entry\'s qid 1');
  expect(() => parseRankLlm(JSON.stringify([{ query: 'x', hits: [hit(1, 'a', 1, 1), hit(1, 'a', 2, 0)] }]), 'r.json')).toThrow('r.json:2: docno a retrieved twice for qid 1 (first at line 1)');
  expect(() => parseRankLlm(JSON.stringify([{ query: 'x', hits: [{ ...hit(1, 'a', 1, 1), score: 'high' }] }]), 'r.json')).toThrow('r.json: entry 0: hits[0]: score must be a finite number');
  const d = parseRankLlm(JSON.stringify([{ query: 'x', hits: [] }, { query: 'y', hits: [hit(2, 'a', 1, 1, 'one')] }, { query: 'z', hits: [hit(3, 'a', 1, 1, 'two')] }]), 'r.json');
  expect(d.warnings).toEqual(["r.json: entry 0: query 'x' has no hits, so no qid: skipped", 'r.json: entry 2: hits[0]: docid a has a different text than before; the first is kept']);
});

describe('shared DL folders (SOURCE.md counts)', () => {
  test.each([
    ['trec-dl-2019-passage', 43, 4297, 9260, 'trec_results_dl19.txt'],
    ['trec-dl-2020-passage', 54, 5396, 11386, 'trec_results_dl20.txt'],
  ])('%s', async (dir, queries, docs, judgements, trecRun) => {
    const c = await loadRankLlm(path.join(DATA, dir), true);
    expect(collectionStats(c)).toEqual({ queries, docs, judgements, judgedQueries: queries, runQueries: queries, runEntries: queries * 100 });
    expect(c.warnings).toEqual([]);
    // SOURCE.md: the TREC run beside it is the same ranking.
    expect(c.run).toEqual(await readRun(path.join(DATA, dir, trecRun)));
  });
});
