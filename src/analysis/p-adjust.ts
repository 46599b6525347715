/**
 * p-values adjusted for testing many neurons at once (the family: every neuron one test holds).
 *   holm: Holm's step-down (1979); controls the family-wise error rate: P(any false positive) ≤ α.
 *         p₍ᵢ₎ (ascending, i = 1…m) becomes maxⱼ≤ᵢ min(1, (m − j + 1)·p₍ⱼ₎).
 *   bh:   Benjamini–Hochberg (1995); controls the false discovery rate: E(false / declared) ≤ α
 *         (valid for independent or positively dependent tests). p₍ᵢ₎ becomes
 *         minⱼ≥ᵢ min(1, m·p₍ⱼ₎ / j).
 *   none: the p-values as they are.
 * Equal p-values keep their input order in the sort; both rules give them the same adjusted value.
 */
import { CelensError } from '../errors.js';

export type Correction = 'holm' | 'bh' | 'none';
export const CORRECTIONS: readonly Correction[] = ['holm', 'bh', 'none'];

/** Adjusted p-values in the input's order. */
export function adjustPValues(p: readonly number[], method: Correction): number[] {
  for (const x of p) if (!(x >= 0 && x <= 1)) throw new CelensError(`p-values lie in [0, 1], got ${x}`);
  if (method === 'none') return [...p];
  const m = p.length;
  const order = Array.from(p.keys()).sort((a, b) => (p[a] as number) - (p[b] as number) || a - b);
  const out = new Array<number>(m);
  if (method === 'holm') {
    let running = 0;
    order.forEach((idx, i) => {
      running = Math.max(running, Math.min(1, (m - i) * (p[idx] as number)));
      out[idx] = running;
    });
  } else {
    let running = 1;
    for (let i = m - 1; i >= 0; i--) {
      const idx = order[i] as number;
      running = Math.min(running, (m * (p[idx] as number)) / (i + 1));
      out[idx] = running;
    }
  }
  return out;
}
