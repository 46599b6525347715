/** Anserini's default analysis: tokens, possessives, case, Lucene stop words, Porter. */
import { analyze, LUCENE_ENGLISH_STOPWORDS, tokenize } from '../../src/ir/analyze.js';

test('StandardTokenizer-like words: apostrophes and dots inside words, numbers with separators', () => {
  expect(tokenize("The dog's U.S.A. bones, 1,000.50 $ e-mail (x_y) naïve")).toEqual(["The", "dog's", 'U.S.A', 'bones', '1,000.50', 'e', 'mail', 'x_y', 'naïve']);
  expect(tokenize('東京タワー')).toEqual(['東', '京', 'タワー']);
});

test('possessive, lower case, stop words, stemming', () => {
  expect(analyze("The Dog's bones are in the houses")).toEqual(['dog', 'bone', 'hous']);
  expect(analyze('The running dogs', { stem: false })).toEqual(['running', 'dogs']);
  expect(analyze('the running dogs', { stopwords: new Set() })).toEqual(['the', 'run', 'dog']);
});

test("Lucene's English stop set has its 33 words", () => {
  expect(LUCENE_ENGLISH_STOPWORDS.size).toBe(33);
  for (const w of ['a', 'into', 'such', 'their', 'will', 'with']) expect(LUCENE_ENGLISH_STOPWORDS.has(w)).toBe(true);
  expect(LUCENE_ENGLISH_STOPWORDS.has('from')).toBe(false);
});
