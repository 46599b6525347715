/**
 * How many of `total` units a share keeps: n = ⌈fraction · total⌉, capped at `total`. One rule for
 * every "p% of the neurons" in celens — a neuron set's `top-p:P` (analysis/neuron-sets.ts) and a
 * pruning budget's `P%` (pruning/select.ts) — so the set `celens neurons --select top-p:2` writes
 * and the cell `celens prune --budgets 2%` removes hold the same number of neurons.
 *
 * Rounding up: any share > 0 keeps at least one unit, and "the top 1%" never keeps fewer than 1%
 * (1% of 3×64 = 1.92 → 2). The product is taken less a relative 1e-9, so a share that is a whole
 * number of units in exact arithmetic (1% of 300; 7% of 100, which floating point makes
 * 7.000000000000001) is not pushed up to the next one.
 */
export function shareCount(total: number, fraction: number): number {
  const x = fraction * total;
  return Math.min(total, Math.max(0, Math.ceil(x - 1e-9 * Math.max(1, x))));
}
