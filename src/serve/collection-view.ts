/**
 * A collection as the explorer offers it: the queries that have first-stage candidates, and one
 * query's top k candidates in first-stage order (trec_eval's) with their texts and grades.
 * Candidates without a text are left out and counted, never shown as empty passages.
 */
import type { Collection } from '../ir/collection.js';
import { firstStage } from '../ir/rerank.js';
import { compareBytes, trecOrder } from '../ir/trec.js';
import type { CandidatesResponse, QueriesResponse } from './page/api-types.js';
import { RequestError } from './requests.js';

/** Candidates per query the page may ask for. */
export const MAX_CANDIDATES = 1000;

export function listQueries(c: Collection): QueriesResponse {
  const run = firstStage(c);
  const queries = [...run.keys()]
    .filter((qid) => c.queries.has(qid))
    .sort(compareBytes)
    .map((qid) => ({ qid, text: c.queries.get(qid) as string, candidates: run.get(qid)?.length ?? 0, judged: c.qrels.get(qid)?.size ?? 0 }));
  return { collection: c.name, queries };
}

export function candidates(c: Collection, qid: string, k: number): CandidatesResponse {
  const query = c.queries.get(qid);
  const entries = firstStage(c).get(qid);
  if (query === undefined || entries === undefined) throw new RequestError(`no query ${JSON.stringify(qid)} with first-stage candidates in ${c.name}`, 404);
  if (!Number.isInteger(k) || k < 1 || k > MAX_CANDIDATES) throw new RequestError(`k must be an integer from 1 to ${MAX_CANDIDATES}`);
  const grades = c.qrels.get(qid);
  let skipped = 0;
  const out: CandidatesResponse['candidates'] = [];
  trecOrder(entries)
    .slice(0, k)
    .forEach((e, i) => {
      const text = c.docs.get(e.docid);
      if (text === undefined || text.trim() === '') {
        skipped++;
        return;
      }
      out.push({ docid: e.docid, text, grade: grades?.get(e.docid) ?? null, firstStageRank: i + 1 });
    });
  return { qid, query, candidates: out, skipped };
}
