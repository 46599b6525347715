/**
 * rank_llm's retrieve_results JSON (castorini/rank_llm `retrieve_results/BM25/*.json`): a list of
 * `{query, hits: [{content, qid, docid, rank, score}]}`, one entry per query, hits in rank
 * order. It carries the queries, the first-stage run and the passage texts; the qrels are the
 * TREC file beside it (`qrels*.txt`). Documents are only the retrieved passages.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../../errors.js';
import { parseJson } from '../../formats/json.js';
import type { Collection, Qrels, Run, Topics } from '../collection.js';
import { crossCheck, emptyTexts } from '../collection.js';
import { addRunEntry, parseQrels, readText } from '../trec.js';

export interface RankLlmData {
  queries: Topics;
  docs: Map<string, string>;
  run: Run;
  warnings: string[];
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Whether the start of a JSON file has rank_llm's shape (a list of objects with `query`/`hits`). */
export function looksLikeRankLlm(head: string): boolean {
  return /^\s*\[\s*\{\s*"(query|hits)"/.test(head);
}

export function parseRankLlm(text: string, file: string): RankLlmData {
  const json = parseJson(text, file, { error: TrecFormatError });
  if (!Array.isArray(json)) throw new TrecFormatError('expected a JSON list of {query, hits}', { file });
  const queries: Topics = new Map();
  const docs = new Map<string, string>();
  const run: Run = new Map();
  const warnings: string[] = [];
  const lineOf = new Map<string, number>();
  const entryOf = new Map<string, number>();
  json.forEach((entry: unknown, i) => {
    const where = `entry ${i}`;
    if (!isObject(entry) || typeof entry.query !== 'string' || !Array.isArray(entry.hits)) throw new TrecFormatError(`${where}: expected {query: string, hits: [...]}`, { file });
    if (entry.hits.length === 0) {
      warnings.push(`${file}: ${where}: query '${entry.query}' has no hits, so no qid: skipped`);
      return;
    }
    let qid: string | undefined;
    entry.hits.forEach((hit: unknown, h) => {
      const at = `${where}: hits[${h}]`;
      if (!isObject(hit)) throw new TrecFormatError(`${at}: expected an object`, { file });
      const { content, docid, rank, score } = hit;
      const hq = hit.qid;
      if (typeof hq !== 'string' && typeof hq !== 'number') throw new TrecFormatError(`${at}: qid must be a string or number`, { file });
      if (typeof docid !== 'string' && typeof docid !== 'number') throw new TrecFormatError(`${at}: docid must be a string or number`, { file });
      if (typeof content !== 'string') throw new TrecFormatError(`${at}: content must be a string`, { file });
      if (typeof score !== 'number' || !Number.isFinite(score)) throw new TrecFormatError(`${at}: score must be a finite number`, { file });
      if (typeof rank !== 'number' || !Number.isInteger(rank)) throw new TrecFormatError(`${at}: rank must be an integer`, { file });
      qid ??= String(hq);
      if (String(hq) !== qid) throw new TrecFormatError(`${at}: qid ${String(hq)} differs from the entry's qid ${qid}`, { file });
      const id = String(docid);
      const known = docs.get(id);
      if (known !== undefined && known !== content) warnings.push(`${file}: ${at}: docid ${id} has a different text than before; the first is kept`);
      if (known === undefined) docs.set(id, content);
      // Hits are numbered like lines so duplicate messages can point at both.
      addRunEntry(run, lineOf, qid, { docid: id, score, rank }, file, h + 1);
    });
    if (qid === undefined) return;
    const first = entryOf.get(qid);
    if (first !== undefined) throw new TrecFormatError(`${where}: qid ${qid} already had entry ${first}`, { file });
    entryOf.set(qid, i);
    queries.set(qid, entry.query.trim());
  });
  return { queries, docs, run, warnings };
}

/** A rank_llm JSON file, or the folder holding one (and its qrels). */
export async function loadRankLlm(target: string, isDir: boolean): Promise<Collection> {
  const dir = isDir ? target : path.dirname(target);
  const names = (await readdir(dir)).sort();
  let file = target;
  if (isDir) {
    const jsons = names.filter((n) => /\.json$/i.test(n));
    const found: string[] = [];
    for (const n of jsons) if (looksLikeRankLlm((await readText(path.join(dir, n))).slice(0, 200))) found.push(n);
    if (found.length !== 1) throw new TrecFormatError(found.length === 0 ? 'no rank_llm JSON here' : `several rank_llm JSON files (${found.join(', ')}): name one`, { file: dir });
    file = path.join(dir, found[0] as string);
  }
  const data = parseRankLlm(await readText(file), file);
  const qrelsFiles = names.filter((n) => /^qrels.*\.txt$/i.test(n));
  const warnings = [...data.warnings];
  let qrels: Qrels = new Map();
  if (qrelsFiles.length === 1) {
    const q = path.join(dir, qrelsFiles[0] as string);
    qrels = parseQrels(await readText(q), q);
  } else {
    warnings.push(qrelsFiles.length === 0 ? `${dir}: no qrels*.txt beside ${path.basename(file)}: nothing to evaluate against` : `${dir}: several qrels files (${qrelsFiles.join(', ')}): none loaded`);
  }
  const c: Collection = {
    name: path.basename(isDir ? dir : file),
    format: 'rankllm',
    queries: data.queries,
    docs: data.docs,
    qrels,
    run: data.run,
    runSource: `${path.basename(file)} (rank_llm first stage)`,
    warnings,
  };
  c.warnings.push(...emptyTexts(c.docs, 'document', file), ...emptyTexts(c.queries, 'query', file));
  c.warnings.push(...crossCheck(c, c.name));
  return c;
}
