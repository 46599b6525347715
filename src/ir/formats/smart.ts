/**
 * SMART classic collections (Glasgow distribution): ADI, CISI, MEDLINE, Cranfield. Records
 * start with `.I id`; `.T` title, `.A` authors, `.B` source, `.W` abstract, `.X`/`.K`/`.C`
 * other fields, each marker on its own line with the text on the lines after it. Markers may
 * repeat in a record (ADI 67 has two `.T`; some Cranfield records two `.W`): their texts join.
 * Relevance files come in three shapes:
 *   `qid docid 0 0.000000`  (ADI.REL, CISI.REL, MED.REL.OLD: every listed pair relevant, grade 1)
 *   `qid 0 docid grade`     (MED.REL: TREC qrels)
 *   `qid docid code`        (cranqrel: code 1 = complete answer … 4 = minimum interest, -1 = no interest)
 * Cranfield's quirks are handled where they are documented (cranqrel.readme, SOURCE.md):
 * its qrels number the 225 queries 1…225 in file order while `cran.qry` ids run 001…365,
 * and its codes rank backwards, so they become grades 5 − code (4 = complete answer … 1 =
 * minimum interest) and -1 becomes grade 0 (judged, not relevant).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../../errors.js';
import type { Collection, Qrels } from '../collection.js';
import { crossCheck, emptyTexts } from '../collection.js';
import { addJudgement, numberedLines, parseGrade, readText } from '../trec.js';

export interface SmartRecord {
  id: string;
  line: number;
  /** Field letter → texts, one per occurrence of the marker. */
  fields: Map<string, string[]>;
}

const MARKER = /^\.([A-Z])(?:\s+(.*?))?\s*$/;

export function parseSmart(text: string, file: string): SmartRecord[] {
  const records: SmartRecord[] = [];
  const seen = new Map<string, number>();
  let rec: SmartRecord | undefined;
  let field: string[] | undefined;
  let buf: string[] = [];
  const flush = (): void => {
    if (field) field.push(buf.join('\n'));
    buf = [];
  };
  for (const [line, raw] of numberedLines(text)) {
    const m = MARKER.exec(raw);
    if (m && m[1] === 'I') {
      flush();
      const id = (m[2] ?? '').trim();
      if (id === '') throw new TrecFormatError('.I without an id', { file, line });
      const first = seen.get(id);
      if (first !== undefined) throw new TrecFormatError(`record .I ${id} appears twice (first at line ${first})`, { file, line });
      seen.set(id, line);
      records.push((rec = { id, line, fields: new Map() }));
      field = undefined;
    } else if (m) {
      if (!rec) throw new TrecFormatError(`field .${m[1]} before the first .I`, { file, line });
      flush();
      const key = m[1] as string;
      field = rec.fields.get(key) ?? [];
      rec.fields.set(key, field);
      if (m[2]) buf.push(m[2]);
    } else {
      if (!rec) throw new TrecFormatError('expected a .I line', { file, line });
      if (!field) throw new TrecFormatError(`text before any field marker in record .I ${rec.id}`, { file, line });
      buf.push(raw);
    }
  }
  flush();
  return records;
}

/** Whitespace collapsed: SMART texts are hard-wrapped at 70-odd columns, with CRLF in some files. */
function squash(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * A record's text: title then abstract. Cranfield abstracts repeat the title as their first
 * sentence, so a title the abstract already starts with is not written twice.
 */
export function recordText(rec: SmartRecord): string {
  const title = squash((rec.fields.get('T') ?? []).join(' '));
  const body = squash((rec.fields.get('W') ?? []).join(' '));
  if (title === '' || body.startsWith(title)) return body;
  return body === '' ? title : `${title} ${body}`;
}

export type SmartRelShape = 'smart' | 'trec' | 'cranfield';

/** Reads any of the three relevance shapes; the first line fixes the shape for the whole file. */
export function parseSmartRel(text: string, file: string): Qrels {
  const qrels: Qrels = new Map();
  const lineOf = new Map<string, number>();
  let shape: SmartRelShape | undefined;
  for (const [line, raw] of numberedLines(text)) {
    const cols = raw.trim().split(/\s+/);
    const s: SmartRelShape | undefined = cols.length === 3 ? 'cranfield' : cols.length === 4 ? (cols[3]?.includes('.') ? 'smart' : 'trec') : undefined;
    if (s === undefined) throw new TrecFormatError(`expected 3 or 4 columns, found ${cols.length}`, { file, line });
    shape ??= s;
    if (s !== shape) throw new TrecFormatError(`line is '${s}' relevance but the file started as '${shape}'`, { file, line });
    const [a = '', b = '', c = '', d = ''] = cols;
    let qid: string;
    let docno: string;
    let grade: number;
    if (shape === 'smart') [qid, docno, grade] = [a, b, 1];
    else if (shape === 'trec') [qid, docno, grade] = [a, c, parseGrade(d, file, line)];
    else {
      const code = parseGrade(c, file, line);
      if (code !== -1 && (code < 1 || code > 4)) throw new TrecFormatError(`Cranfield relevance code must be 1-4 or -1, found ${code}`, { file, line });
      [qid, docno, grade] = [a, b, code === -1 ? 0 : 5 - code];
    }
    addJudgement(qrels, lineOf, qid, docno, grade, file, line);
  }
  return qrels;
}

interface SmartFiles {
  docs: string;
  queries: string;
  rel: string;
}

/** Finds `X.ALL`, `X.QRY`, `X.REL` (not `.REL.OLD`), or Cranfield's `cran.all.1400`, `cran.qry`, `cranqrel`. */
export async function findSmartFiles(dir: string): Promise<SmartFiles | undefined> {
  const names = await readdir(dir);
  const pick = (re: RegExp): string | undefined => names.filter((n) => re.test(n)).sort()[0];
  const docs = pick(/\.ALL$/i) ?? pick(/^cran\.all/i);
  const queries = pick(/\.QRY$/i) ?? pick(/^cran\.qry$/i);
  const rel = pick(/\.REL$/i) ?? pick(/^cranqrel$/i);
  if (!docs || !queries || !rel) return undefined;
  return { docs: path.join(dir, docs), queries: path.join(dir, queries), rel: path.join(dir, rel) };
}

export async function loadSmart(dir: string): Promise<Collection> {
  const files = await findSmartFiles(dir);
  if (!files) throw new TrecFormatError('no SMART collection here (expected X.ALL, X.QRY and X.REL, or cran.all.1400, cran.qry and cranqrel)', { file: dir });
  const docRecs = parseSmart(await readText(files.docs), files.docs);
  const queryRecs = parseSmart(await readText(files.queries), files.queries);
  const cranfield = path.basename(files.rel).toLowerCase() === 'cranqrel';
  // Cranfield's qrels number queries by their position in cran.qry (SOURCE.md).
  const queryId = (r: SmartRecord, i: number): string => (cranfield ? String(i + 1) : r.id);
  const docs = new Map(docRecs.map((r) => [r.id, recordText(r)]));
  const queries = new Map(queryRecs.map((r, i) => [queryId(r, i), recordText(r)]));
  const qrels = parseSmartRel(await readText(files.rel), files.rel);
  const c: Collection = { name: path.basename(dir), format: 'smart', queries, docs, qrels, warnings: [] };
  c.warnings.push(...emptyTexts(docs, 'document', files.docs), ...emptyTexts(queries, 'query', files.queries));
  c.warnings.push(...crossCheck(c, path.basename(dir), { judgedDocs: true }));
  return c;
}
