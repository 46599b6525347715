/**
 * R@k as trec_eval's `recall` (m_recall.c): relevant docs (grade ≥ relLevel) in the first k
 * ranks over all relevant judged docs. A query with no relevant judged doc scores 0 (trec_eval
 * returns before setting the value) and still counts in the mean.
 */
import { depth } from './judged.js';
import type { JudgedRanking } from './judged.js';

export function recall(j: JudgedRanking, k?: number): number {
  if (j.numRel === 0) return 0;
  let rel = 0;
  const n = depth(j, k);
  for (let i = 0; i < n; i++) if ((j.rels[i] ?? -1) >= j.relLevel) rel++;
  return rel / j.numRel;
}
