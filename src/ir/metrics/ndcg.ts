/**
 * nDCG@k as trec_eval's `ndcg_cut` (m_ndcg_cut.c): linear gain = the grade, discount
 * log2(rank + 1), ideal DCG from all judged docs with positive grade (retrieved or not).
 * Grades at or below 0 add nothing; the relevance level (-l) plays no part. A query whose
 * judgements have no positive grade scores 0.
 */
import { depth } from './judged.js';
import type { JudgedRanking } from './judged.js';

export function ndcg(j: JudgedRanking, k?: number): number {
  let dcg = 0;
  const n = depth(j, k);
  for (let i = 0; i < n; i++) {
    const gain = j.rels[i] ?? 0;
    if (gain > 0) dcg += gain / Math.log2(i + 2);
  }
  let ideal = 0;
  const m = k === undefined ? j.idealGains.length : Math.min(k, j.idealGains.length);
  for (let i = 0; i < m; i++) ideal += (j.idealGains[i] ?? 0) / Math.log2(i + 2);
  // trec_eval leaves the value at dcg when the ideal is 0 (dcg is then 0 as well).
  return ideal > 0 ? dcg / ideal : dcg;
}
