/**
 * docs/study.md states only numbers its result files hold. The convention the page follows:
 *
 * - Every table with a number in its body is followed by a caption line
 *   `Source: \`study/results/X.txt\`[, \`…\`]` (paths relative to docs/); every number in the
 *   table's body rows (not the header) must occur in one of the cited files as a whole number:
 *   not inside a longer one (0.30 does not match 0.3001), with its sign when the page writes one,
 *   and not as the tail of a negative number when the page writes none. "−" counts as "-",
 *   thousands separators are dropped.
 * - Every `celens …` or `node scripts/study-summary.mjs …` line of a ```sh block is a command the
 *   study ran: it occurs verbatim in study/results/commands.txt (scripts/study.sh logs each one).
 * - Every study/… path the page names exists.
 *
 * The checker is tested on made-up pages too, so a wrong number does fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = process.cwd();
const DOCS = path.join(ROOT, 'docs');
const PAGE = path.join(DOCS, 'study.md');
const COMMANDS = 'study/results/commands.txt';

export interface TableCheck {
  line: number;
  sources: string[];
  missing: string[];
}

/** Numbers as the page writes them: optional sign, digits, decimals, exponent. */
const NUMBER = /(?<![\w.@:#-])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])/gi;

function normalize(s: string): string {
  return s.replace(/\u2212/g, '-').replace(/(\d),(?=\d{3}\b)/g, '$1');
}

/** The numeric tokens of one table cell. */
export function numbersIn(cell: string): string[] {
  return [...normalize(cell).replace(/`/g, ' ').matchAll(NUMBER)].map((m) => m[0]);
}

/** Whether `token` occurs in `text` as a whole number (see the file comment). */
export function occurs(token: string, text: string): boolean {
  const signed = token[0] === '-' || token[0] === '+';
  const body = signed ? token.slice(1) : token;
  const re = new RegExp(`(?<![\\d.])${body.replace(/[.+]/g, '\\$&')}(?![\\d]|\\.\\d)`, 'g');
  for (const m of normalize(text).matchAll(re)) {
    const before = text[(m.index ?? 0) - 1];
    if (signed ? before === token[0] : before !== '-') return true;
  }
  return false;
}

/** Every numeric table of a page, its cited sources and the numbers no source holds. */
export function checkTables(page: string, read: (p: string) => string | undefined): TableCheck[] {
  const lines = page.split('\n');
  const out: TableCheck[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!(lines[i] as string).trimStart().startsWith('|')) {
      i++;
      continue;
    }
    const start = i;
    while (i < lines.length && (lines[i] as string).trimStart().startsWith('|')) i++;
    const rows = lines.slice(start, i).filter((l) => !/^\s*\|[\s:|-]+\|\s*$/.test(l)).slice(1);
    const tokens = rows.flatMap((r) => r.split('|').flatMap(numbersIn));
    let j = i;
    while (j < lines.length && (lines[j] as string).trim() === '') j++;
    const caption = /^\s*\*?Source:/.test(lines[j] ?? '') ? (lines[j] as string) : '';
    const sources = [...caption.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
    if (tokens.length === 0) continue;
    const texts = sources.map((s) => read(s));
    const missing = texts.some((t) => t === undefined) || sources.length === 0 ? ['(no readable source)'] : tokens.filter((t) => !texts.some((x) => occurs(t, x as string)));
    out.push({ line: start + 1, sources, missing });
  }
  return out;
}

const readDoc = (p: string): string | undefined => {
  const f = path.join(DOCS, p);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
};

describe('the checker', () => {
  const files: Record<string, string> = { 'r.txt': 'nDCG@10\t0.3001\t-0.0123\t+0.0050\t1024 neurons\t4.42e-3\n' };
  const read = (p: string): string | undefined => files[p];
  const page = (cells: string, caption = 'Source: `r.txt`'): string => `| a | b |\n|---|---:|\n| nDCG@10 | ${cells} |\n\n${caption}\n`;

  test('passes numbers the file holds', () => {
    expect(checkTables(page('0.3001 ± 0.0050, −0.0123, +0.0050, 1,024, 4.42e-3'), read)).toEqual([{ line: 1, sources: ['r.txt'], missing: [] }]);
  });
  test('fails a number the file does not hold, a shortened one, a dropped or wrong sign', () => {
    expect(checkTables(page('0.3002'), read)[0]?.missing).toEqual(['0.3002']);
    expect(checkTables(page('0.30'), read)[0]?.missing).toEqual(['0.30']);
    expect(checkTables(page('0.0123'), read)[0]?.missing).toEqual(['0.0123']);
    expect(checkTables(page('-0.0050'), read)[0]?.missing).toEqual(['-0.0050']);
    expect(checkTables(page('4.4e-3'), read)[0]?.missing).toEqual(['4.4e-3']);
  });
  test('fails a numeric table without a readable source', () => {
    expect(checkTables(page('0.3001', ''), read)[0]?.missing).toEqual(['(no readable source)']);
    expect(checkTables(page('0.3001', 'Source: `nope.txt`'), read)[0]?.missing).toEqual(['(no readable source)']);
  });
  test('reads no numbers out of labels such as nDCG@10, top-p:2 or #115', () => {
    expect(numbersIn('nDCG@10 `top-p:2` #115 layer.0')).toEqual([]);
    expect(numbersIn('layer 0, 21 (J 0.83)')).toEqual(['0', '21', '0.83']);
  });
});

describe('docs/study.md', () => {
  const page = readFileSync(PAGE, 'utf8');

  test('every number of every table is in the result file the table cites', () => {
    const tables = checkTables(page, readDoc);
    expect(tables.length).toBeGreaterThan(5);
    expect(tables.filter((t) => t.missing.length > 0)).toEqual([]);
  });

  test('every command shown is one the study ran (results/commands.txt)', () => {
    const ran = new Set((readDoc(COMMANDS) ?? '').split('\n'));
    const shown = [...page.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => (m[1] as string).split('\n')).filter((l) => /^(celens|node scripts\/study-summary\.mjs) /.test(l));
    expect(shown.length).toBeGreaterThan(5);
    expect(shown.filter((l) => !ran.has(l))).toEqual([]);
  });

  test('every study/ path the page names exists', () => {
    // study/… as the page names it (relative to docs/); not .study/… or docs/study/… in the commands.
    const named = [...new Set([...page.matchAll(/(?<![\w./-])(study\/[\w./@()=-]+?\.(?:txt|json|svg|log|html))(?![\w.])/g)].map((m) => m[1] as string))];
    expect(named.length).toBeGreaterThan(5);
    expect(named.filter((p) => readDoc(p) === undefined)).toEqual([]);
  });
});
