/**
 * Adjusting a family of p-values for multiple comparisons, as R's p.adjust does:
 * - `holm` (Holm 1979, step-down; controls the family-wise error rate under any dependence, and
 *   is never less powerful than Bonferroni): sort ascending, p_(i) × (m − i + 1), running maximum,
 *   capped at 1, returned in the input order;
 * - `bonferroni`: p × m, capped at 1;
 * - `bh` (Benjamini–Hochberg 1995; controls the false discovery rate, E(false / declared) ≤ α, for
 *   independent or positively dependent tests): sort ascending, p_(i) × m / i, running minimum
 *   from the top, capped at 1 (the choice for ~1000 neurons, where Holm needs more permutations
 *   than anyone runs before any neuron can pass);
 * - `none`: the p-values as they are.
 * NaN p-values (a test that could not be run) stay NaN and do not count in m, as NA in R.
 */

export type Correction = 'holm' | 'bonferroni' | 'bh' | 'none';
export const CORRECTIONS: readonly Correction[] = ['holm', 'bonferroni', 'bh', 'none'];

/** Indices of the p-values that take part (not NaN), after checking each is NaN or in [0, 1]. */
function family(p: readonly number[]): number[] {
  const idx: number[] = [];
  p.forEach((v, i) => {
    if (Number.isNaN(v)) return;
    if (!(v >= 0 && v <= 1)) throw new RangeError(`p-value ${i} is ${v}, not in [0, 1]`);
    idx.push(i);
  });
  return idx;
}

/** Holm's step-down adjustment. */
export function holm(p: readonly number[]): number[] {
  const idx = family(p).sort((a, b) => (p[a] as number) - (p[b] as number) || a - b);
  const m = idx.length;
  const out = p.map(() => NaN);
  let running = 0;
  idx.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (p[i] as number)));
    out[i] = running;
  });
  return out;
}

/** Bonferroni's adjustment. */
export function bonferroni(p: readonly number[]): number[] {
  const m = family(p).length;
  return p.map((v) => (Number.isNaN(v) ? NaN : Math.min(1, m * v)));
}

/** Benjamini–Hochberg's step-up adjustment. */
export function bh(p: readonly number[]): number[] {
  const idx = family(p).sort((a, b) => (p[a] as number) - (p[b] as number) || a - b);
  const m = idx.length;
  const out = p.map(() => NaN);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const i = idx[rank] as number;
    running = Math.min(running, (m * (p[i] as number)) / (rank + 1));
    out[i] = running;
  }
  return out;
}

/** The adjustment named by `method`. */
export function adjustPValues(p: readonly number[], method: Correction): number[] {
  switch (method) {
    case 'holm':
      return holm(p);
    case 'bonferroni':
      return bonferroni(p);
    case 'bh':
      return bh(p);
    case 'none':
      family(p);
      return p.slice();
  }
}
