/**
 * TREC text files, read and written as trec_eval reads them: topics (`qid<TAB>text`), qrels
 * (`qid iter docno grade`) and runs (`qid Q0 docno rank score tag`). Columns are split on any
 * whitespace; blank lines are skipped; every malformed line is a `TrecFormatError` naming
 * `file:line`. Duplicates that trec_eval refuses ("duplicate docs") are errors here too.
 */
import { readFile } from 'node:fs/promises';
import { TrecFormatError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import type { Qrels, Run, RunEntry, Topics } from './collection.js';

/** Lines with their 1-based numbers, blank ones dropped, CR of CRLF files removed. */
export function* numberedLines(text: string): Generator<[number, string]> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() !== '') yield [i + 1, line];
  }
}

/** Reads a UTF-8 file; a missing or unreadable file is a `TrecFormatError` naming it. */
export async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as { code?: unknown }).code;
    throw new TrecFormatError(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, expected a file' : `cannot read (${String(code ?? err)})`, { file });
  }
}

/** `qid<TAB>text` per line (MS MARCO / Anserini topics). Empty texts are kept and reported in `warnings`. */
export function parseTopics(text: string, file: string, warnings?: string[]): Topics {
  return parseTsv(text, file, 'query', warnings);
}

/**
 * `id<TAB>text` per line (topics, MS MARCO-style `collection.tsv`/`corpus.tsv`). A line
 * without a tab or with an empty id is an error, so is an id given twice; empty texts are kept
 * and reported in `warnings`, one line each.
 */
export function parseTsv(text: string, file: string, what: 'query' | 'document', warnings?: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const lineOf = new Map<string, number>();
  const idName = what === 'query' ? 'qid' : 'docno';
  for (const [line, raw] of numberedLines(text)) {
    const tab = raw.indexOf('\t');
    if (tab < 0) throw new TrecFormatError(`expected ${idName}<TAB>text, found no tab`, { file, line });
    const id = raw.slice(0, tab).trim();
    const body = raw.slice(tab + 1).trim();
    if (id === '') throw new TrecFormatError(`empty ${idName}`, { file, line });
    const first = lineOf.get(id);
    if (first !== undefined) throw new TrecFormatError(`${idName} ${id} appears twice (first at line ${first})`, { file, line });
    if (body === '') warnings?.push(`${file}:${line}: ${what} ${id} has empty text`);
    out.set(id, body);
    lineOf.set(id, line);
  }
  return out;
}

/** Splits a line into exactly `n` whitespace-separated columns or throws `file:line: expected n columns, found m`. */
function columns(raw: string, n: number, file: string, line: number): string[] {
  const cols = raw.trim().split(/\s+/);
  if (cols.length !== n) throw new TrecFormatError(`expected ${n} columns, found ${cols.length}`, { file, line });
  return cols;
}

/** A relevance grade: an integer (trec_eval reads it with atol; `1.0` is accepted as 1, `0.5` is not). */
export function parseGrade(s: string, file: string, line: number): number {
  if (!/^[+-]?\d+(\.0*)?$/.test(s)) throw new TrecFormatError(`relevance grade must be an integer, found '${s}'`, { file, line });
  return Math.trunc(Number(s));
}

/** `qid iter docno grade`. A docno judged twice for one qid is an error, as in trec_eval. */
export function parseQrels(text: string, file: string): Qrels {
  const qrels: Qrels = new Map();
  const lineOf = new Map<string, number>();
  for (const [line, raw] of numberedLines(text)) {
    const [qid, , docno, grade] = columns(raw, 4, file, line) as [string, string, string, string];
    addJudgement(qrels, lineOf, qid, docno, parseGrade(grade, file, line), file, line);
  }
  return qrels;
}

/** Adds one judgement, refusing a second one for the same (qid, docno). Shared by every qrels reader. */
export function addJudgement(qrels: Qrels, lineOf: Map<string, number>, qid: string, docno: string, grade: number, file: string, line: number): void {
  let q = qrels.get(qid);
  if (!q) qrels.set(qid, (q = new Map()));
  const key = `${qid}\u0000${docno}`;
  const first = lineOf.get(key);
  if (first !== undefined) throw new TrecFormatError(`docno ${docno} judged twice for qid ${qid} (first at line ${first})`, { file, line });
  lineOf.set(key, line);
  q.set(docno, grade);
}

/** `qid Q0 docno rank score tag`. A docno retrieved twice for one qid is an error (trec_eval: "duplicate docs"). */
export function parseRun(text: string, file: string): Run {
  const run: Run = new Map();
  const lineOf = new Map<string, number>();
  for (const [line, raw] of numberedLines(text)) {
    const [qid, , docid, rankS, scoreS] = columns(raw, 6, file, line) as [string, string, string, string, string, string];
    const score = Number(scoreS);
    if (scoreS === '' || !Number.isFinite(score)) throw new TrecFormatError(`score must be a finite number, found '${scoreS}'`, { file, line });
    if (!/^[+-]?\d+$/.test(rankS)) throw new TrecFormatError(`rank must be an integer, found '${rankS}'`, { file, line });
    addRunEntry(run, lineOf, qid, { docid, score, rank: Number(rankS) }, file, line);
  }
  return run;
}

/** Adds one retrieved document, refusing a docno retrieved twice for one qid. Shared by every run reader. */
export function addRunEntry(run: Run, lineOf: Map<string, number>, qid: string, entry: RunEntry, file: string, line: number): void {
  let r = run.get(qid);
  if (!r) run.set(qid, (r = []));
  const key = `${qid}\u0000${entry.docid}`;
  const first = lineOf.get(key);
  if (first !== undefined) throw new TrecFormatError(`docno ${entry.docid} retrieved twice for qid ${qid} (first at line ${first})`, { file, line });
  lineOf.set(key, line);
  r.push(entry);
}

export async function readTopics(file: string, warnings?: string[]): Promise<Topics> {
  return parseTopics(await readText(file), file, warnings);
}
export async function readQrels(file: string): Promise<Qrels> {
  return parseQrels(await readText(file), file);
}
export async function readRun(file: string): Promise<Run> {
  return parseRun(await readText(file), file);
}

/** Tabs and newlines inside a text would break the `qid<TAB>text` line, so they become spaces. */
export function formatTopics(topics: Topics): string {
  return [...topics].map(([qid, t]) => `${qid}\t${t.replace(/[\t\r\n]+/g, ' ')}\n`).join('');
}

export function formatQrels(qrels: Qrels): string {
  const out: string[] = [];
  for (const [qid, docs] of qrels) for (const [docno, grade] of docs) out.push(`${qid} 0 ${docno} ${grade}\n`);
  return out.join('');
}

/**
 * One line per entry, in file order, ranks rewritten 1..n after sorting as trec_eval does
 * (score descending, docno descending), so the written ranks are the ones that are evaluated.
 * Scores are written in full (shortest round-trip form) so ties are neither made nor broken.
 */
export function formatRun(run: Run, tag = 'celens'): string {
  if (/\s/.test(tag) || tag === '') throw new TrecFormatError(`run tag must be one word, found '${tag}'`);
  const out: string[] = [];
  for (const [qid, entries] of run) {
    const sorted = [...entries].sort(compareTrec);
    sorted.forEach((e, i) => out.push(`${qid} Q0 ${e.docid} ${i + 1} ${String(e.score)} ${tag}\n`));
  }
  return out.join('');
}

// Whole or not at all (writeFileAtomic): an evaluation never reads half a run.
export async function writeTopics(file: string, topics: Topics): Promise<void> {
  await writeFileAtomic(file, formatTopics(topics));
}
export async function writeQrels(file: string, qrels: Qrels): Promise<void> {
  await writeFileAtomic(file, formatQrels(qrels));
}
export async function writeRun(file: string, run: Run, tag?: string): Promise<void> {
  await writeFileAtomic(file, formatRun(run, tag));
}

/**
 * trec_eval's order (form_res_rels.c, `comp_sim_docno`): score descending, then docno
 * descending by `strcmp`, i.e. by UTF-8 bytes. The rank column of the run is ignored.
 */
export function compareTrec(a: RunEntry, b: RunEntry): number {
  if (a.score > b.score) return -1;
  if (a.score < b.score) return 1;
  return compareBytes(b.docid, a.docid);
}

/** `strcmp` on the UTF-8 encodings; JS `<` compares UTF-16 units, which differs above U+FFFF. */
export function compareBytes(a: string, b: string): number {
  if (isAscii(a) && isAscii(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

/** The entries of one query in trec_eval's order (a sorted copy). */
export function trecOrder(entries: readonly RunEntry[]): RunEntry[] {
  return [...entries].sort(compareTrec);
}
