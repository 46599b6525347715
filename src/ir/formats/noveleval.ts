/**
 * NovelEval-2306 (RankGPT, vendored in castorini/rank_llm): `corpus.tsv` (`docid<TAB>text`),
 * `queries.tsv` (`qid<TAB>query`), `qrels.txt` (`qid Q0 docid rel`, rel 0/1/2). Each query has
 * 20 Google-search candidates with docids `<qid>-<n>`, all judged; they become the
 * collection's run, in corpus order, so that reranking them is the task the data set poses.
 * That order is the file's, not a retrieval model's: do not report it as a baseline.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { TrecFormatError } from '../../errors.js';
import type { Collection, Run } from '../collection.js';
import { crossCheck } from '../collection.js';
import { parseQrels, parseTsv, readText } from '../trec.js';

export async function isNovelEval(dir: string): Promise<boolean> {
  const names = new Set(await readdir(dir));
  return names.has('corpus.tsv') && names.has('queries.tsv') && names.has('qrels.txt');
}

/** Candidates by docid prefix, in corpus order; scores count down so trec_eval keeps that order. */
export function candidateRun(queries: ReadonlyMap<string, string>, docs: ReadonlyMap<string, string>): Run {
  const byQuery = new Map<string, string[]>();
  for (const id of docs.keys()) {
    const dash = id.lastIndexOf('-');
    if (dash <= 0) continue;
    const qid = id.slice(0, dash);
    if (!queries.has(qid)) continue;
    const list = byQuery.get(qid) ?? [];
    list.push(id);
    byQuery.set(qid, list);
  }
  const run: Run = new Map();
  for (const qid of queries.keys()) {
    const ids = byQuery.get(qid) ?? [];
    run.set(qid, ids.map((docid, i) => ({ docid, score: ids.length - i, rank: i + 1 })));
  }
  return run;
}

export async function loadNovelEval(dir: string): Promise<Collection> {
  if (!(await isNovelEval(dir))) throw new TrecFormatError('no NovelEval collection here (expected corpus.tsv, queries.tsv and qrels.txt)', { file: dir });
  const warnings: string[] = [];
  const file = (n: string): string => path.join(dir, n);
  const queries = parseTsv(await readText(file('queries.tsv')), file('queries.tsv'), 'query', warnings);
  const docs = parseTsv(await readText(file('corpus.tsv')), file('corpus.tsv'), 'document', warnings);
  const qrels = parseQrels(await readText(file('qrels.txt')), file('qrels.txt'));
  const run = candidateRun(queries, docs);
  const c: Collection = { name: path.basename(dir), format: 'noveleval', queries, docs, qrels, run, runSource: 'NovelEval candidates (corpus.tsv order, not a ranking)', warnings };
  for (const [qid, entries] of run) if (entries.length === 0) c.warnings.push(`${file('corpus.tsv')}: query ${qid} has no candidates (no docid ${qid}-<n>)`);
  c.warnings.push(...crossCheck(c, c.name, { judgedDocs: true }));
  return c;
}
