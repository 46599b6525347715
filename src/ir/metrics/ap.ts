/**
 * Average precision as trec_eval's `map` (m_map.c), and AP@k as its `map_cut`: precision at
 * each relevant retrieved doc (grade ≥ relLevel), summed and divided by the number of
 * relevant judged docs, retrieved or not. No relevant doc retrieved → 0.
 */
import { depth } from './judged.js';
import type { JudgedRanking } from './judged.js';

export function ap(j: JudgedRanking, k?: number): number {
  let relSoFar = 0;
  let sum = 0;
  const n = depth(j, k);
  for (let i = 0; i < n; i++) {
    if ((j.rels[i] ?? -1) >= j.relLevel) {
      relSoFar++;
      sum += relSoFar / (i + 1);
    }
  }
  return relSoFar > 0 ? sum / j.numRel : 0;
}
