/** SMART records and relevance files; the four shared SMART collections against their SOURCE.md counts. */
import path from 'node:path';
import { TrecFormatError } from '../../../src/errors.js';
import { collectionStats } from '../../../src/ir/collection.js';
import { loadSmart, parseSmart, parseSmartRel, recordText } from '../../../src/ir/formats/smart.js';

const DATA = path.resolve(process.cwd(), '../shared/data');

describe('parseSmart', () => {
  const text = '.I 1\r\n.T\r\nA title\r\n.A\r\nX. Author\r\n.T\r\n more title\r\n.W\r\nA title and\r\n  the body.\r\n.I 2\r\n.W\r\nonly body\r\n';

  test('records, repeated markers joined, CRLF', () => {
    const recs = parseSmart(text, 'X.ALL');
    expect(recs.map((r) => [r.id, r.line])).toEqual([['1', 1], ['2', 11]]);
    expect(recs[0]?.fields.get('T')).toEqual(['A title', ' more title']);
    expect(recordText(recs[1] ?? { id: '', line: 0, fields: new Map() })).toBe('only body');
  });

  test('title then body, the title not repeated when the body starts with it (Cranfield)', () => {
    const [r] = parseSmart('.I 1\n.T\nwing flow .\n.W\nwing flow .\nresults .\n', 'cran');
    expect(r && recordText(r)).toBe('wing flow . results .');
    const [s] = parseSmart('.I 1\n.T\nTitle\n.W\nBody\n', 'x');
    expect(s && recordText(s)).toBe('Title Body');
  });

  test('errors name file and line', () => {
    expect(() => parseSmart('junk\n.I 1\n', 'X.ALL')).toThrow('X.ALL:1: expected a .I line');
    expect(() => parseSmart('.I 1\ntext\n', 'X.ALL')).toThrow('X.ALL:2: text before any field marker in record .I 1');
    expect(() => parseSmart('.I 1\n.W\na\n.I 1\n', 'X.ALL')).toThrow('X.ALL:4: record .I 1 appears twice (first at line 1)');
    expect(() => parseSmart('.I\n', 'X.ALL')).toThrow(TrecFormatError);
  });
});

describe('parseSmartRel', () => {
  test('the three shapes', () => {
    expect(parseSmartRel('1   17   0   0.000000\n', 'ADI.REL').get('1')).toEqual(new Map([['17', 1]]));
    expect(parseSmartRel('1 0 13 1\n', 'MED.REL').get('1')).toEqual(new Map([['13', 1]]));
    // Cranfield: 1 = complete answer → 4, 4 = minimum interest → 1, -1 = no interest → 0.
    expect(parseSmartRel('1 184 1\n1 29 4\n1 30 -1\n', 'cranqrel').get('1')).toEqual(new Map([['184', 4], ['29', 1], ['30', 0]]));
  });

  test('errors', () => {
    expect(() => parseSmartRel('1 17\n', 'R')).toThrow('R:1: expected 3 or 4 columns, found 2');
    expect(() => parseSmartRel('1 17 0 0.0\n1 0 18 1\n', 'R')).toThrow("R:2: line is 'trec' relevance but the file started as 'smart'");
    expect(() => parseSmartRel('1 2 7\n', 'cranqrel')).toThrow('cranqrel:1: Cranfield relevance code must be 1-4 or -1, found 7');
  });
});

describe('shared collections (counts from SOURCE.md)', () => {
  test.each([
    ['adi', 82, 35, 170, 35],
    ['cisi', 1460, 112, 3114, 76],
    ['cranfield', 1400, 225, 1837, 225],
    ['medline', 1033, 30, 696, 30],
  ])('%s: %i docs, %i queries, %i judgements over %i queries', async (dir, docs, queries, judgements, judged) => {
    const c = await loadSmart(path.join(DATA, dir));
    expect(collectionStats(c)).toMatchObject({ docs, queries, judgements, judgedQueries: judged });
    expect(c.format).toBe('smart');
  });

  test('Cranfield: queries renumbered 1…225 in file order, codes turned into grades', async () => {
    const c = await loadSmart(path.join(DATA, 'cranfield'));
    expect([...c.queries.keys()].slice(0, 3)).toEqual(['1', '2', '3']);
    expect(c.queries.get('3')).toMatch(/^what problems of heat conduction in composite slabs/); // .I 004 in cran.qry
    const hist = new Map<number, number>();
    for (const q of c.qrels.values()) for (const g of q.values()) hist.set(g, (hist.get(g) ?? 0) + 1);
    // SOURCE.md: codes 1 = 128, 2 = 387, 3 = 734, 4 = 363, -1 = 225.
    expect(Object.fromEntries(hist)).toEqual({ 4: 128, 3: 387, 2: 734, 1: 363, 0: 225 });
    expect(c.warnings.some((w) => /2 documents have empty text \(471, 995\)/.test(w))).toBe(true);
  });

  test('CISI: the 36 unjudged queries are reported', async () => {
    const c = await loadSmart(path.join(DATA, 'cisi'));
    expect(c.warnings.some((w) => /36 queries have no judgements/.test(w))).toBe(true);
  });
});
