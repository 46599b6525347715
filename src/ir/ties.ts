/**
 * Tied scores at the top of a run. trec_eval breaks ties by docno (descending), so when pruning
 * collapses scores, which docs make the top k, and in what order, is decided by document ids,
 * not by the model. This finds the tie groups that reach into the top k of each query.
 */
import type { Run } from './collection.js';
import { plural } from './collection.js';
import { compareBytes, trecOrder } from './trec.js';

export interface TieGroup {
  qid: string;
  score: number;
  /** In trec_eval's order (docno descending). */
  docids: string[];
  /** 1-based ranks the group spans in trec_eval's order. */
  firstRank: number;
  lastRank: number;
  /** Some of the group is in the top k and some is not: docnos decide membership. */
  crossesCutoff: boolean;
}

export interface TieReport {
  k: number;
  /** Queries in the run. */
  queries: number;
  /** Groups of ≥ 2 equal scores with at least one member in the top k, qids in strcmp order. */
  groups: TieGroup[];
  queriesWithTies: number;
  queriesCrossing: number;
}

export function findTopKTies(run: Run, k: number): TieReport {
  const groups: TieGroup[] = [];
  const withTies = new Set<string>();
  const crossing = new Set<string>();
  for (const qid of [...run.keys()].sort(compareBytes)) {
    const sorted = trecOrder(run.get(qid) ?? []);
    let i = 0;
    while (i < sorted.length && i < k) {
      let j = i + 1;
      const score = sorted[i]?.score;
      while (j < sorted.length && sorted[j]?.score === score) j++;
      if (j - i >= 2 && score !== undefined) {
        const g: TieGroup = { qid, score, docids: sorted.slice(i, j).map((e) => e.docid), firstRank: i + 1, lastRank: j, crossesCutoff: j > k };
        groups.push(g);
        withTies.add(qid);
        if (g.crossesCutoff) crossing.add(qid);
      }
      i = j;
    }
  }
  return { k, queries: run.size, groups, queriesWithTies: withTies.size, queriesCrossing: crossing.size };
}

/** One warning line when ties decide the top k, undefined when they do not. */
export function describeTies(report: TieReport, where: string): string | undefined {
  if (report.groups.length === 0) return undefined;
  const { k, queriesWithTies: n, queriesCrossing: c } = report;
  const first = report.groups.find((g) => g.crossesCutoff) ?? report.groups[0];
  const eg = first ? `; e.g. qid ${first.qid}: ${first.docids.length} docs at score ${first.score} (ranks ${first.firstRank}-${first.lastRank})` : '';
  return (
    `${where}: tied scores decide the top ${k} in ${n} of ${report.queries} ${plural(report.queries, 'query', 'queries')}` +
    ` (${c} cross rank ${k}); trec_eval orders ties by docno, descending${eg}`
  );
}
