/** Porter stemmer: the paper's examples, and the reference C version's departures that Lucene keeps. */
import { porterStem } from '../../src/ir/porter.js';

test("examples from Porter (1980), steps 1-5", () => {
  const cases: Array<[string, string]> = [
    ['caresses', 'caress'], ['ponies', 'poni'], ['ties', 'ti'], ['caress', 'caress'], ['cats', 'cat'],
    ['feed', 'feed'], ['agreed', 'agre'], ['plastered', 'plaster'], ['bled', 'bled'], ['motoring', 'motor'], ['sing', 'sing'],
    ['conflated', 'conflat'], ['troubled', 'troubl'], ['sized', 'size'], ['hopping', 'hop'], ['tanned', 'tan'],
    ['falling', 'fall'], ['hissing', 'hiss'], ['fizzed', 'fizz'], ['failing', 'fail'], ['filing', 'file'],
    ['happy', 'happi'], ['sky', 'sky'], ['relational', 'relat'], ['conditional', 'condit'], ['rational', 'ration'],
    ['valenci', 'valenc'], ['hesitanci', 'hesit'], ['digitizer', 'digit'], ['generalizations', 'gener'], ['oscillators', 'oscil'],
    ['hopeful', 'hope'], ['goodness', 'good'], ['effective', 'effect'], ['adjustable', 'adjust'], ['adoption', 'adopt'],
    ['communism', 'commun'], ['probate', 'probat'], ['rate', 'rate'], ['cease', 'ceas'], ['controll', 'control'], ['roll', 'roll'],
  ];
  for (const [w, s] of cases) expect([w, porterStem(w)]).toEqual([w, s]);
});

test('departures of the C version kept by Lucene: -bli → -ble, -logi → -log, short words untouched', () => {
  expect(porterStem('possibly')).toBe('possibl'); // paper: possibli
  expect(porterStem('archaeology')).toBe('archaeolog'); // paper: archaeologi
  expect(porterStem('is')).toBe('is');
  expect(porterStem('ies')).toBe('i');
});
