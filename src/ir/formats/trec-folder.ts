/**
 * A folder of plain TREC files: topics (`topics*`/`queries*`, `qid<TAB>text`), qrels
 * (`qrels*`), optionally a run (`run*`, `trec_results*`, `*.run`) and a corpus
 * (`corpus.tsv`/`collection.tsv`/`docs.tsv`, `docno<TAB>text`). Each role must be filled by
 * at most one file, so nothing is picked silently.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../../errors.js';
import type { Collection } from '../collection.js';
import { crossCheck } from '../collection.js';
import { parseQrels, parseRun, parseTsv, readText } from '../trec.js';

export interface TrecFiles {
  topics?: string;
  qrels?: string;
  run?: string;
  corpus?: string;
}

const ROLES: Record<keyof TrecFiles, RegExp> = {
  topics: /^(topics|queries).*\.(txt|tsv)$/i,
  qrels: /^qrels/i,
  run: /^(run|trec_results).*\.txt$|\.run$/i,
  corpus: /^(corpus|collection|docs)\.tsv$/i,
};

export async function findTrecFiles(dir: string): Promise<TrecFiles> {
  const names = (await readdir(dir)).sort();
  const files: TrecFiles = {};
  for (const role of Object.keys(ROLES) as Array<keyof TrecFiles>) {
    const found = names.filter((n) => ROLES[role].test(n));
    if (found.length > 1) throw new TrecFormatError(`several ${role} files (${found.join(', ')}): keep one`, { file: dir });
    if (found[0] !== undefined) files[role] = path.join(dir, found[0]);
  }
  return files;
}

export async function loadTrecFolder(dir: string): Promise<Collection> {
  const files = await findTrecFiles(dir);
  if (!files.topics || !files.qrels) throw new TrecFormatError('no TREC collection here (expected a topics*/queries* file and a qrels* file)', { file: dir });
  const warnings: string[] = [];
  const queries = parseTsv(await readText(files.topics), files.topics, 'query', warnings);
  const qrels = parseQrels(await readText(files.qrels), files.qrels);
  const docs = files.corpus ? parseTsv(await readText(files.corpus), files.corpus, 'document', warnings) : new Map<string, string>();
  const c: Collection = { name: path.basename(dir), format: 'trec', queries, docs, qrels, warnings };
  if (files.run) {
    c.run = parseRun(await readText(files.run), files.run);
    c.runSource = path.basename(files.run);
  }
  c.warnings.push(...crossCheck(c, c.name, { judgedDocs: files.corpus !== undefined }));
  return c;
}
