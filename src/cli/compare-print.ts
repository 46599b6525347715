/** How `compare` and `rerank --eval` print paired tests: tab-separated lines, p-values readable at any size. */
import type { RunComparison } from '../ir/compare.js';
import type { Correction } from '../stats/correction.js';

/** A p-value: 4 decimals down to 0.001, then 3 significant digits (2.45e-9); `n/a` when the test could not run. */
export function formatP(p: number | null): string {
  if (p === null) return 'n/a';
  if (p === 0) return '0';
  return p >= 1e-3 ? p.toFixed(4) : p.toExponential(2);
}

/** A difference with its sign: +0.0123, -0.0040. */
export function formatDelta(d: number): string {
  return `${d >= 0 ? '+' : ''}${d.toFixed(4)}`;
}

/** Column headers of the p-values: `p(t)`, `p(randomization)`, then `p-holm(t)`, … unless the correction is none. */
export function pHeaders(tests: readonly string[], correction: Correction): string[] {
  return [...tests.map((t) => `p(${t})`), ...(correction === 'none' ? [] : tests.map((t) => `p-${correction}(${t})`))];
}

/** The p-value cells of one row, in pHeaders' order. */
export function pCells(row: Pick<RunComparison['rows'][number], 'p' | 'pAdjusted'>, tests: ReadonlyArray<'t' | 'randomization'>, correction: Correction): string[] {
  return [...tests.map((t) => formatP(row.p[t])), ...(correction === 'none' ? [] : tests.map((t) => formatP(row.pAdjusted[t])))];
}
