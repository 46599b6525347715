/**
 * trec_eval's own names for the measures celens computes (`celens eval --format trec_eval`), so
 * that parsers of trec_eval output read ours. A cutoff measure asked as `-m ndcg_cut.10` prints as
 * `ndcg_cut_10` (trec_eval meas_init.c: `"%s_%ld"`); the rest print under their bare names:
 *
 *   nDCG@k → ndcg_cut_k     nDCG → ndcg          (gain = grade in both, ideal over all judged docs)
 *   AP     → map            AP@k → map_cut_k
 *   RR     → recip_rank     P@k  → P_k
 *   R@k    → recall_k       R    → set_recall    (relevant retrieved / relevant, whole ranking)
 *
 * Only the same maths gets a trec_eval name. RR@k has none: recip_rank always looks at the whole
 * ranking, and `trec_eval -M k` would cut every other measure too. A relevance level is trec_eval's
 * `-l`, one per invocation and absent from the names, so a measure whose `(rel=N)` differs from the
 * evaluation's level has no name either. Both are UsageErrors naming the measure, never a rename.
 */
import { UsageError } from '../../errors.js';
import { measureName, measureRelLevel, parseMeasure } from './measures.js';
import type { Measure } from './measures.js';

/** trec_eval's name for `measure` (an ir_measures name or a parsed measure) under `-l relLevel`. */
export function trecEvalName(measure: string | Measure, relLevel: number): string {
  const m = typeof measure === 'string' ? parseMeasure(measure) : measure;
  const name = measureName(m, relLevel);
  const rel = measureRelLevel(m, relLevel);
  if (m.kind !== 'nDCG' && rel !== relLevel) {
    throw new UsageError(
      `'${name}' has no trec_eval name at relevance level ${relLevel}: trec_eval applies one -l to every measure and leaves it out of the names; use relevance level ${rel} for every measure (--rel-level ${rel}), or keep the ir_measures names`,
    );
  }
  const k = m.cutoff;
  switch (m.kind) {
    case 'nDCG':
      return k === undefined ? 'ndcg' : `ndcg_cut_${k}`;
    case 'AP':
      return k === undefined ? 'map' : `map_cut_${k}`;
    case 'P':
      if (k === undefined) throw new UsageError(`'${name}': P needs a cutoff, e.g. P@10`);
      return `P_${k}`;
    case 'R':
      return k === undefined ? 'set_recall' : `recall_${k}`;
    case 'RR':
      if (k === undefined) return 'recip_rank';
      throw new UsageError(
        `'${name}' has no trec_eval name: recip_rank looks at the whole ranking (ask for RR), and trec_eval -M ${k} would cut every other measure too; keep the ir_measures names for ${name}`,
      );
  }
}

/** Names for every measure, checked to stay distinct. */
export function trecEvalNames(measures: ReadonlyArray<string | Measure>, relLevel: number): string[] {
  const names = measures.map((m) => trecEvalName(m, relLevel));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`two measures print as trec_eval's ${dup}`);
  return names;
}
