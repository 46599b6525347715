/**
 * Measure names as ir_measures writes them: `nDCG@10`, `RR`, `RR@10`, `AP`, `AP@100`, `P@10`,
 * `R@100`, with a relevance level as a parameter: `AP(rel=2)`, `RR(rel=2)@10`. The same
 * strings are API keys, CLI values and JSON keys.
 */
import { UsageError } from '../../errors.js';
import { ap } from './ap.js';
import type { JudgedRanking } from './judged.js';
import { ndcg } from './ndcg.js';
import { precision } from './precision.js';
import { recall } from './recall.js';
import { rr } from './rr.js';

export type MeasureKind = 'nDCG' | 'RR' | 'AP' | 'P' | 'R';

export interface Measure {
  kind: MeasureKind;
  /** Ranks looked at; undefined = the whole ranking. */
  cutoff?: number;
  /** trec_eval -l for this measure; undefined = the evaluation's default. Not for nDCG. */
  rel?: number;
}

/** What each measure is, in trec_eval's terms (for help texts). */
export const MEASURE_KINDS: Record<MeasureKind, string> = {
  nDCG: 'trec_eval ndcg_cut (linear gain = grade)',
  RR: 'trec_eval recip_rank',
  AP: 'trec_eval map (map_cut with @k)',
  P: 'trec_eval P (cutoff required)',
  R: 'trec_eval recall',
};

const PATTERN = /^(nDCG|RR|AP|P|R)(?:\(rel=(\d+)\))?(?:@(\d+))?$/;

export function parseMeasure(name: string): Measure {
  const m = PATTERN.exec(name.trim());
  if (!m) throw new UsageError(`unknown measure '${name}' (expected one of nDCG@k, RR, RR@k, AP, AP@k, P@k, R@k, optionally with (rel=N) before @k, as ir_measures writes them)`);
  const kind = m[1] as MeasureKind;
  const measure: Measure = { kind };
  if (m[2] !== undefined) {
    if (kind === 'nDCG') throw new UsageError(`'${name}': nDCG takes no relevance level (its gains are the grades, as trec_eval ndcg_cut)`);
    measure.rel = Number(m[2]);
  }
  if (m[3] !== undefined) {
    const k = Number(m[3]);
    if (k < 1) throw new UsageError(`'${name}': cutoff must be at least 1`);
    measure.cutoff = k;
  } else if (kind === 'P') {
    throw new UsageError(`'${name}': P needs a cutoff, e.g. P@10`);
  }
  return measure;
}

/** ir_measures' spelling; a relevance level equal to 1 (the default) is left out, as ir_measures does. */
export function measureName(m: Measure, relLevel = 1): string {
  const rel = m.kind === 'nDCG' ? 1 : (m.rel ?? relLevel);
  return `${m.kind}${rel !== 1 ? `(rel=${rel})` : ''}${m.cutoff !== undefined ? `@${m.cutoff}` : ''}`;
}

/** The relevance level a measure counts with. */
export function measureRelLevel(m: Measure, relLevel: number): number {
  return m.rel ?? relLevel;
}

/** One measure on one judged query. */
export function computeMeasure(m: Measure, j: JudgedRanking): number {
  switch (m.kind) {
    case 'nDCG':
      return ndcg(j, m.cutoff);
    case 'RR':
      return rr(j, m.cutoff);
    case 'AP':
      return ap(j, m.cutoff);
    case 'P':
      return precision(j, m.cutoff ?? j.rels.length);
    case 'R':
      return recall(j, m.cutoff);
  }
}
