/**
 * Reciprocal rank as trec_eval's `recip_rank` (m_recip_rank.c): 1 / rank of the first doc
 * with grade ≥ relLevel, 0 if none. RR@k looks only at the first k ranks (ir_measures RR@k).
 */
import { depth } from './judged.js';
import type { JudgedRanking } from './judged.js';

export function rr(j: JudgedRanking, k?: number): number {
  const n = depth(j, k);
  for (let i = 0; i < n; i++) if ((j.rels[i] ?? -1) >= j.relLevel) return 1 / (i + 1);
  return 0;
}
