/**
 * `loadCollection(path)`: one entry point for every source on disk. A folder is recognised by
 * the files in it; a file is a rank_llm JSON or stands for the folder that holds it. Every
 * folder of the shared data that holds a collection loads this way; `format` forces a reader.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../errors.js';
import type { Collection, CollectionFormat } from './collection.js';
import { COLLECTION_FORMATS } from './collection.js';
import { loadBeir } from './formats/beir.js';
import { loadNovelEval, isNovelEval } from './formats/noveleval.js';
import { findSgmlFiles, loadNpl } from './formats/npl.js';
import { loadRankLlm, looksLikeRankLlm } from './formats/rankllm.js';
import { findSmartFiles, loadSmart } from './formats/smart.js';
import { findTrecFiles, loadTrecFolder } from './formats/trec-folder.js';
import { readText } from './trec.js';

export interface LoadCollectionOptions {
  /** Skip detection and read with this format. */
  format?: CollectionFormat;
  /** BEIR qrels split. @default 'test' (or the only split) */
  split?: string;
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    throw new TrecFormatError('no such file or folder', { file: p });
  }
}

async function hasRankLlmJson(dir: string): Promise<boolean> {
  for (const n of (await readdir(dir)).filter((x) => /\.json$/i.test(x))) if (looksLikeRankLlm((await readText(path.join(dir, n))).slice(0, 200))) return true;
  return false;
}

/** Which reader fits `target` (first match: BEIR, rank_llm, SMART, TREC SGML, NovelEval, TREC files). */
export async function detectFormat(target: string): Promise<CollectionFormat> {
  if (!(await isDirectory(target))) {
    if (/\.json$/i.test(target) && looksLikeRankLlm((await readText(target)).slice(0, 200))) return 'rankllm';
    return detectFormat(path.dirname(target));
  }
  const names = new Set(await readdir(target));
  if (names.has('corpus.jsonl') && names.has('queries.jsonl')) return 'beir';
  if (await hasRankLlmJson(target)) return 'rankllm';
  if (await findSmartFiles(target)) return 'smart';
  if (await findSgmlFiles(target)) return 'npl';
  if (await isNovelEval(target)) return 'noveleval';
  const trec = await findTrecFiles(target);
  if (trec.topics && trec.qrels) return 'trec';
  throw new TrecFormatError(
    'no collection found (looked for BEIR corpus.jsonl+queries.jsonl, a rank_llm JSON, SMART X.ALL/X.QRY/X.REL, TREC SGML doc-text.trec, NovelEval corpus.tsv+queries.tsv+qrels.txt, or topics*+qrels* files)',
    { file: target },
  );
}

/** Loads a test collection (queries, qrels, first-stage run, documents) from a folder or file, its format detected. */
export async function loadCollection(target: string, opts: LoadCollectionOptions = {}): Promise<Collection> {
  if (opts.format !== undefined && !COLLECTION_FORMATS.includes(opts.format)) throw new TrecFormatError(`unknown format '${String(opts.format)}' (one of ${COLLECTION_FORMATS.join(', ')})`, { file: target });
  const isDir = await isDirectory(target);
  const format = opts.format ?? (await detectFormat(target));
  const dir = isDir ? target : path.dirname(target);
  switch (format) {
    case 'rankllm':
      return loadRankLlm(target, isDir);
    case 'beir':
      return loadBeir(dir, opts.split);
    case 'smart':
      return loadSmart(dir);
    case 'npl':
      return loadNpl(dir);
    case 'noveleval':
      return loadNovelEval(dir);
    case 'trec':
      return loadTrecFolder(dir);
  }
}
