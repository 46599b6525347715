/**
 * P@k as trec_eval's `P` (m_P.c): relevant docs (grade ≥ relLevel) in the first k ranks,
 * divided by k even when fewer than k docs were retrieved (missing ranks count as non-relevant).
 */
import { depth } from './judged.js';
import type { JudgedRanking } from './judged.js';

export function precision(j: JudgedRanking, k: number): number {
  let rel = 0;
  const n = depth(j, k);
  for (let i = 0; i < n; i++) if ((j.rels[i] ?? -1) >= j.relLevel) rel++;
  return rel / k;
}
