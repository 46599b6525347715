/**
 * BEIR folders: `corpus.jsonl` (`{_id, title, text}`), `queries.jsonl` (`{_id, text}`),
 * `qrels/<split>.tsv` (`query-id<TAB>corpus-id<TAB>score` with a header line). As BEIR's
 * GenericDataLoader, only the queries judged in the split are kept, and a document's text is
 * its title and body joined by a space.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../../errors.js';
import { parseJson } from '../../formats/json.js';
import type { Collection, Qrels } from '../collection.js';
import { crossCheck, emptyTexts } from '../collection.js';
import { addJudgement, numberedLines, parseGrade, readText } from '../trec.js';

function jsonLines(text: string, file: string): Array<[number, Record<string, unknown>]> {
  const out: Array<[number, Record<string, unknown>]> = [];
  for (const [line, raw] of numberedLines(text)) {
    const v = parseJson(raw, file, { error: TrecFormatError, line });
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TrecFormatError('expected a JSON object', { file, line });
    out.push([line, v as Record<string, unknown>]);
  }
  return out;
}

function field(o: Record<string, unknown>, key: string, file: string, line: number, required: boolean): string {
  const v = o[key];
  if (v === undefined && !required) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && key === '_id') return String(v);
  throw new TrecFormatError(`'${key}' must be a string`, { file, line });
}

/** `{_id, text[, title]}` per line. */
export function parseBeirJsonl(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const lineOf = new Map<string, number>();
  for (const [line, o] of jsonLines(text, file)) {
    const id = field(o, '_id', file, line, true);
    if (id === '') throw new TrecFormatError('empty _id', { file, line });
    const first = lineOf.get(id);
    if (first !== undefined) throw new TrecFormatError(`_id ${id} appears twice (first at line ${first})`, { file, line });
    lineOf.set(id, line);
    const title = field(o, 'title', file, line, false).trim();
    const body = field(o, 'text', file, line, true).trim();
    out.set(id, title && body ? `${title} ${body}` : title || body);
  }
  return out;
}

/** `query-id corpus-id score`, tab-separated, first line a header. */
export function parseBeirQrels(text: string, file: string): Qrels {
  const qrels: Qrels = new Map();
  const lineOf = new Map<string, number>();
  let header = true;
  for (const [line, raw] of numberedLines(text)) {
    const cols = raw.split('\t').map((c) => c.trim());
    if (header && /^query[-_]?id$/i.test(cols[0] ?? '')) {
      header = false;
      continue;
    }
    header = false;
    if (cols.length !== 3) throw new TrecFormatError(`expected 3 tab-separated columns, found ${cols.length}`, { file, line });
    const [qid = '', docno = '', grade = ''] = cols;
    addJudgement(qrels, lineOf, qid, docno, parseGrade(grade, file, line), file, line);
  }
  return qrels;
}

export async function loadBeir(dir: string, split?: string): Promise<Collection> {
  const qrelsDir = path.join(dir, 'qrels');
  let splits: string[] = [];
  try {
    splits = (await readdir(qrelsDir)).filter((n) => n.endsWith('.tsv')).map((n) => n.slice(0, -4)).sort();
  } catch {
    throw new TrecFormatError('BEIR folder without qrels/', { file: dir });
  }
  const chosen = split ?? (splits.includes('test') ? 'test' : splits.length === 1 ? splits[0] : undefined);
  if (chosen === undefined || !splits.includes(chosen)) throw new TrecFormatError(`${split === undefined ? 'choose a split' : `no split '${split}'`} (have: ${splits.join(', ') || 'none'})`, { file: qrelsDir });
  const qrelsFile = path.join(qrelsDir, `${chosen}.tsv`);
  const docsFile = path.join(dir, 'corpus.jsonl');
  const queriesFile = path.join(dir, 'queries.jsonl');
  const qrels = parseBeirQrels(await readText(qrelsFile), qrelsFile);
  const docs = parseBeirJsonl(await readText(docsFile), docsFile);
  const all = parseBeirJsonl(await readText(queriesFile), queriesFile);
  const queries = new Map([...all].filter(([q]) => qrels.has(q)));
  const c: Collection = { name: path.basename(dir), format: 'beir', queries, docs, qrels, warnings: [] };
  c.warnings.push(...emptyTexts(docs, 'document', docsFile), ...emptyTexts(queries, 'query', queriesFile));
  c.warnings.push(...crossCheck(c, c.name, { judgedDocs: true }));
  return c;
}
