/**
 * Text → index terms as Anserini's default analyzer (DefaultEnglishAnalyzer, the same chain as
 * Lucene's EnglishAnalyzer): StandardTokenizer → EnglishPossessiveFilter → LowerCaseFilter →
 * StopFilter (Lucene's 33 English stop words) → PorterStemFilter.
 *
 * StandardTokenizer implements Unicode word segmentation (UAX #29); this is a regex
 * approximation of it that agrees on English text: letters and digits form words, joined across
 * `'` `’` `.` `:` between letters (`o'neil`, `u.s.a`) and across `,` `.` `;` `'` between digits
 * (`1,000.5`); `_` joins anything; each CJK ideograph is its own token; tokens longer than
 * 255 characters are split, as Lucene's default maxTokenLength does.
 */
import { porterStem } from './porter.js';

/** Lucene EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, Anserini's default stop list. */
export const LUCENE_ENGLISH_STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not',
  'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
]);

export interface AnalyzerOptions {
  /** @default true */
  stem?: boolean;
  /** @default LUCENE_ENGLISH_STOPWORDS; an empty set keeps every word */
  stopwords?: ReadonlySet<string>;
}

const W = '[\\p{L}\\p{M}\\p{N}_]';
const LETTER = '[\\p{L}\\p{M}_]';
const DIGIT = '[\\p{N}_]';
const HAN = '[\\p{Script=Han}\\p{Script=Hiragana}]';
// A word: runs of word chars, joined by a MidLetter between letters or a MidNum between digits.
const TOKEN = new RegExp(
  `${HAN}|(?:(?!${HAN})${W})+(?:(?:(?<=${LETTER})['’.:](?=${LETTER})|(?<=${DIGIT})[,.;'’](?=${DIGIT}))(?:(?!${HAN})${W})+)*`,
  'gu',
);
const MAX_TOKEN = 255;

/** StandardTokenizer, approximately: the surface tokens, case kept. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const t = m[0];
    if (t.length <= MAX_TOKEN) out.push(t);
    else for (let i = 0; i < t.length; i += MAX_TOKEN) out.push(t.slice(i, i + MAX_TOKEN));
  }
  return out;
}

/** EnglishPossessiveFilter: drops a trailing 's / ’s / 'S. */
function stripPossessive(token: string): string {
  return /['’][sS]$/.test(token) ? token.slice(0, -2) : token;
}

/** The index terms of a text, in order (stop words removed, so positions are not kept). */
export function analyze(text: string, opts: AnalyzerOptions = {}): string[] {
  const stop = opts.stopwords ?? LUCENE_ENGLISH_STOPWORDS;
  const stem = opts.stem ?? true;
  const out: string[] = [];
  for (const tok of tokenize(text)) {
    const t = stripPossessive(tok).toLowerCase();
    if (t === '' || stop.has(t)) continue;
    out.push(stem ? porterStem(t) : t);
  }
  return out;
}
