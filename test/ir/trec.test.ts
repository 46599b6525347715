/** TREC topics/qrels/run files: parsing as trec_eval reads them, file:line errors, writing. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TrecFormatError } from '../../src/errors.js';
import { compareBytes, compareTrec, formatQrels, formatRun, formatTopics, parseQrels, parseRun, parseTopics, readQrels, readRun, trecOrder, writeRun } from '../../src/ir/trec.js';

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof Error) return e;
  }
  throw new Error('expected an error');
}

describe('parseRun', () => {
  test('reads six columns, CRLF and blank lines, keeping file order and the line numbers', () => {
    const run = parseRun('1 Q0 d1 1 2.5 tag\r\n\r\n1 Q0 d2 2 -1e-3 tag\r\n2 Q0 d1 1 7 tag\r\n', 'run.txt');
    expect([...run.keys()]).toEqual(['1', '2']);
    expect(run.get('1')).toEqual([
      { docid: 'd1', score: 2.5, rank: 1 },
      { docid: 'd2', score: -0.001, rank: 2 },
    ]);
  });

  test('malformed lines name file and line', () => {
    const e = thrown(() => parseRun('1 Q0 d1 1 2.5 t\n\n1 Q0 d2 2 2.0\n', 'run.txt'));
    expect(e).toBeInstanceOf(TrecFormatError);
    expect(e.message).toBe('run.txt:3: expected 6 columns, found 5');
    expect((e as TrecFormatError).line).toBe(3);
    expect(thrown(() => parseRun('1 Q0 d1 1 high t\n', 'r')).message).toBe("r:1: score must be a finite number, found 'high'");
    expect(thrown(() => parseRun('1 Q0 d1 first 1 t\n', 'r')).message).toBe("r:1: rank must be an integer, found 'first'");
    expect(thrown(() => parseRun('1 Q0 d1 1 NaN t\n', 'r')).message).toMatch(/^r:1: score must be a finite number/);
  });

  test('a docno retrieved twice for one query is an error (trec_eval: duplicate docs)', () => {
    expect(thrown(() => parseRun('1 Q0 d1 1 2 t\n2 Q0 d1 1 2 t\n1 Q0 d1 2 1 t\n', 'run.txt')).message).toBe('run.txt:3: docno d1 retrieved twice for qid 1 (first at line 1)');
  });
});

describe('parseQrels', () => {
  test('reads qid iter docno grade; 1.0 is grade 1, negative grades are kept', () => {
    const q = parseQrels('1 0 a 2\n1 Q0 b 1.0\n2 0 a -1\n', 'q');
    expect(q.get('1')).toEqual(new Map([['a', 2], ['b', 1]]));
    expect(q.get('2')?.get('a')).toBe(-1);
  });

  test('errors', () => {
    expect(thrown(() => parseQrels('1 0 a\n', 'qrels.txt')).message).toBe('qrels.txt:1: expected 4 columns, found 3');
    expect(thrown(() => parseQrels('1 0 a 0.5\n', 'q')).message).toBe("q:1: relevance grade must be an integer, found '0.5'");
    expect(thrown(() => parseQrels('1 0 a 1\n1 0 a 0\n', 'q')).message).toBe('q:2: docno a judged twice for qid 1 (first at line 1)');
  });
});

describe('parseTopics', () => {
  test('qid<TAB>text; empty texts are kept and reported', () => {
    const warnings: string[] = [];
    const t = parseTopics('1\tdo goldfish grow\r\n2\t \n', 'topics.tsv', warnings);
    expect(t).toEqual(new Map([['1', 'do goldfish grow'], ['2', '']]));
    expect(warnings).toEqual(['topics.tsv:2: query 2 has empty text']);
  });

  test('errors', () => {
    expect(thrown(() => parseTopics('1 no tab\n', 't')).message).toBe('t:1: expected qid<TAB>text, found no tab');
    expect(thrown(() => parseTopics('1\ta\n1\tb\n', 't')).message).toBe('t:2: qid 1 appears twice (first at line 1)');
  });
});

describe("trec_eval's order", () => {
  test('score descending, then docno descending; the rank column is ignored', () => {
    const sorted = trecOrder([
      { docid: 'a', score: 1, rank: 1 },
      { docid: 'c', score: 2, rank: 3 },
      { docid: 'b', score: 1, rank: 2 },
      { docid: 'b2', score: 1, rank: 9 },
    ]);
    expect(sorted.map((e) => e.docid)).toEqual(['c', 'b2', 'b', 'a']);
    expect(compareTrec({ docid: 'x', score: 0.5, rank: 1 }, { docid: 'y', score: 0.5, rank: 2 })).toBeGreaterThan(0);
  });

  test('docnos compare as UTF-8 bytes (strcmp), not UTF-16 units', () => {
    // U+FFFF is EF BF BF, U+10000 is F0 90 80 80: bytes put U+FFFF first, UTF-16 (D800…) the other way.
    expect(compareBytes('\u{10000}', '\uffff')).toBeGreaterThan(0);
    expect('\u{10000}' < '\uffff').toBe(true);
  });
});

describe('writing', () => {
  test('formatRun rewrites ranks in trec_eval order and keeps scores exact', () => {
    const run = new Map([['q', [{ docid: 'a', score: 0.1, rank: 1 }, { docid: 'b', score: 0.30000000000000004, rank: 2 }]]]);
    expect(formatRun(run, 'x')).toBe('q Q0 b 1 0.30000000000000004 x\nq Q0 a 2 0.1 x\n');
    expect(parseRun(formatRun(run), 'r').get('q')?.map((e) => e.score)).toEqual([0.30000000000000004, 0.1]);
    expect(() => formatRun(run, 'two words')).toThrow(TrecFormatError);
  });

  test('qrels and topics', () => {
    expect(formatQrels(new Map([['1', new Map([['a', 2]])]]))).toBe('1 0 a 2\n');
    expect(formatTopics(new Map([['1', 'a\tb\nc']]))).toBe('1\ta b c\n');
  });

  test('files round-trip; a missing file is a TrecFormatError naming it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'celens-trec-'));
    try {
      const run = new Map([['1', [{ docid: 'd', score: 3, rank: 1 }]]]);
      await writeRun(path.join(dir, 'r.txt'), run);
      expect(await readRun(path.join(dir, 'r.txt'))).toEqual(run);
      await expect(readQrels(path.join(dir, 'none.txt'))).rejects.toThrow(`${path.join(dir, 'none.txt')}: no such file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
