/** Builds one judged query from docnos in rank order (scores count down) and a grade table. */
import type { RunEntry } from '../../../src/ir/collection.js';
import { judgeRanking } from '../../../src/ir/metrics/judged.js';
import type { JudgedRanking } from '../../../src/ir/metrics/judged.js';

export function ranked(docids: string[]): RunEntry[] {
  return docids.map((docid, i) => ({ docid, score: docids.length - i, rank: i + 1 }));
}

export function judged(docids: string[], grades: Record<string, number>, relLevel = 1): JudgedRanking {
  return judgeRanking(new Map(Object.entries(grades)), ranked(docids), relLevel);
}
