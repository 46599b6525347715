/**
 * One query's ranking joined with its judgements, the way trec_eval's `te_form_res_rels`
 * builds `RES_RELS` (form_res_rels.c): retrieved docs sorted by score desc then docno desc,
 * each replaced by its grade, plus the counts every measure needs. Measures are pure
 * functions of this object.
 */
import type { RunEntry } from '../collection.js';
import { trecOrder } from '../trec.js';

/** Grade of a retrieved docno that is not in the qrels (trec_eval RELVALUE_NONPOOL). */
export const NONPOOL = -1;
/** Grade of a docno in the qrels with a negative grade: pooled but unjudged (RELVALUE_UNJUDGED). */
export const UNJUDGED = -2;

export interface JudgedRanking {
  /** Grade at each rank (index 0 = rank 1), NONPOOL/UNJUDGED where there is none. */
  rels: number[];
  /** Judged docs with grade ≥ relLevel, retrieved or not: the denominator of AP and recall. */
  numRel: number;
  /** Every positive grade in the qrels, descending: the ideal ranking of nDCG. */
  idealGains: number[];
  relLevel: number;
}

/**
 * `relLevel` is trec_eval's `-l`: a doc is relevant when its grade is ≥ relLevel. It changes
 * numRel and what AP/RR/P/R count, never nDCG's gains (trec_eval ndcg_cut uses raw grades).
 */
export function judgeRanking(judgements: ReadonlyMap<string, number>, entries: readonly RunEntry[], relLevel: number): JudgedRanking {
  const rels = trecOrder(entries).map((e) => {
    const g = judgements.get(e.docid);
    return g === undefined ? NONPOOL : g < 0 ? UNJUDGED : g;
  });
  let numRel = 0;
  const idealGains: number[] = [];
  for (const g of judgements.values()) {
    // Negative grades are "in pool, not judged": counted nowhere (form_res_rels.c rel_levels).
    if (g >= 0 && g >= relLevel) numRel++;
    if (g > 0) idealGains.push(g);
  }
  idealGains.sort((a, b) => b - a);
  return { rels, numRel, idealGains, relLevel };
}

/** Number of ranks a cutoff looks at: trec_eval stops at the end of the ranking. */
export function depth(j: JudgedRanking, k?: number): number {
  return k === undefined ? j.rels.length : Math.min(k, j.rels.length);
}
