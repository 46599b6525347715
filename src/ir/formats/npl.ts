/**
 * TREC SGML collections, as Terrier ships NPL (`vaswani_npl`): documents `<DOC><DOCNO>id</DOCNO>
 * text</DOC>` (doc-text.trec), topics `<top><num>id</num><title>text</title></top>`
 * (query-text.trec), TREC qrels (`qrels`). The same readers fit other TREC ad hoc collections.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../../errors.js';
import type { Collection, Topics } from '../collection.js';
import { crossCheck, emptyTexts } from '../collection.js';
import { numberedLines, parseQrels, readText } from '../trec.js';

/** Tags other than DOC/DOCNO inside a document (TEXT, TITLE, HEADLINE…) are dropped, their text kept. */
const TAG = /<\/?[A-Za-z][A-Za-z0-9]*>/g;

export function parseTrecDocs(text: string, file: string): Map<string, string> {
  const docs = new Map<string, string>();
  const lineOf = new Map<string, number>();
  let open: { line: number; id?: string; text: string[] } | undefined;
  for (const [line, raw] of numberedLines(text)) {
    const t = raw.trim();
    if (/^<DOC>$/i.test(t)) {
      if (open) throw new TrecFormatError(`<DOC> inside the <DOC> opened at line ${open.line}`, { file, line });
      open = { line, text: [] };
      continue;
    }
    if (!open) throw new TrecFormatError('text outside <DOC> … </DOC>', { file, line });
    if (/^<\/DOC>$/i.test(t)) {
      if (open.id === undefined) throw new TrecFormatError(`<DOC> opened at line ${open.line} has no <DOCNO>`, { file, line });
      docs.set(open.id, open.text.join(' ').replace(/\s+/g, ' ').trim());
      open = undefined;
      continue;
    }
    const m = /<DOCNO>\s*(.*?)\s*<\/DOCNO>/i.exec(t);
    if (m) {
      const id = m[1] ?? '';
      if (id === '') throw new TrecFormatError('empty <DOCNO>', { file, line });
      const first = lineOf.get(id);
      if (first !== undefined) throw new TrecFormatError(`docno ${id} appears twice (first at line ${first})`, { file, line });
      lineOf.set(id, line);
      open.id = id;
      const rest = t.replace(m[0], '').replace(TAG, ' ').trim();
      if (rest) open.text.push(rest);
    } else {
      open.text.push(t.replace(TAG, ' '));
    }
  }
  if (open) throw new TrecFormatError(`<DOC> opened at line ${open.line} is never closed`, { file });
  return docs;
}

/** `<top>` blocks; the query is the `<title>` (NPL has no description or narrative). */
export function parseTrecTopicsSgml(text: string, file: string): Topics {
  const topics: Topics = new Map();
  const lineOf = new Map<string, number>();
  let open: { line: number; text: string[] } | undefined;
  for (const [line, raw] of numberedLines(text)) {
    const t = raw.trim();
    if (/^<top>$/i.test(t)) {
      if (open) throw new TrecFormatError(`<top> inside the <top> opened at line ${open.line}`, { file, line });
      open = { line, text: [] };
    } else if (/^<\/top>$/i.test(t)) {
      if (!open) throw new TrecFormatError('</top> without <top>', { file, line });
      const block = open.text.join('\n');
      const num = /<num>\s*(?:Number:)?\s*([^<\s]+)/i.exec(block)?.[1];
      if (num === undefined) throw new TrecFormatError(`topic opened at line ${open.line} has no <num>`, { file, line });
      const title = /<title>\s*(?:Topic:)?([\s\S]*?)(?:<\/title>|<desc>|<narr>|$)/i.exec(block)?.[1];
      if (title === undefined) throw new TrecFormatError(`topic ${num} has no <title>`, { file, line });
      const first = lineOf.get(num);
      if (first !== undefined) throw new TrecFormatError(`topic ${num} appears twice (first at line ${first})`, { file, line });
      lineOf.set(num, open.line);
      topics.set(num, title.replace(/\s+/g, ' ').trim());
      open = undefined;
    } else if (open) {
      open.text.push(t);
    } else {
      throw new TrecFormatError('text outside <top> … </top>', { file, line });
    }
  }
  if (open) throw new TrecFormatError(`<top> opened at line ${open.line} is never closed`, { file });
  return topics;
}

interface SgmlFiles {
  docs: string;
  topics: string;
  qrels: string;
}

/** doc-text.trec (or any *.trec starting with <DOC>), query-text.trec / topics*, qrels*. */
export async function findSgmlFiles(dir: string): Promise<SgmlFiles | undefined> {
  const names = (await readdir(dir)).sort();
  const docs = names.find((n) => /^doc.*\.trec$/i.test(n));
  const topics = names.find((n) => /^(query|topics).*\.trec$/i.test(n));
  const qrels = names.find((n) => /^qrels/i.test(n));
  if (!docs || !topics || !qrels) return undefined;
  return { docs: path.join(dir, docs), topics: path.join(dir, topics), qrels: path.join(dir, qrels) };
}

export async function loadNpl(dir: string): Promise<Collection> {
  const files = await findSgmlFiles(dir);
  if (!files) throw new TrecFormatError('no TREC SGML collection here (expected doc-text.trec, query-text.trec and qrels)', { file: dir });
  const docs = parseTrecDocs(await readText(files.docs), files.docs);
  const queries = parseTrecTopicsSgml(await readText(files.topics), files.topics);
  const qrels = parseQrels(await readText(files.qrels), files.qrels);
  const c: Collection = { name: path.basename(dir), format: 'npl', queries, docs, qrels, warnings: [] };
  c.warnings.push(...emptyTexts(docs, 'document', files.docs), ...emptyTexts(queries, 'query', files.topics));
  c.warnings.push(...crossCheck(c, path.basename(dir), { judgedDocs: true }));
  return c;
}
