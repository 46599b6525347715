/**
 * The contrast score and its per-neuron permutation test. A neuron's contrast is its mean over
 * relevant pairs minus its mean over non-relevant pairs; over several datasets (strata), the mean
 * of the datasets' contrasts (each dataset weighs the same, as a fused set averages them).
 *
 * Null hypothesis: a neuron's values do not depend on the relevance label, so the labels are
 * exchangeable over the pairs of a dataset. Each permutation shuffles the labels within every
 * dataset (keeping its numbers of relevant and non-relevant pairs) from one seeded generator, and
 * recomputes every neuron's contrast; a neuron's two-sided p-value is
 *     p = (1 + #{permutations with |contrast*| ≥ |contrast|}) / (1 + permutations)
 * (Phipson & Smyth 2010: a Monte Carlo p-value that is never 0 and is valid at any number of
 * permutations; the smallest possible is 1 / (1 + permutations)). "≥" allows for rounding: sums
 * of the same values in another order may differ in the last bits, so a tie within 1e-9 of the
 * neuron's largest |value| counts as reaching the observed contrast.
 *
 * The labels are permuted over pairs: pairs of one query are treated as exchangeable with pairs of
 * any other, which they are only if the query itself does not move a neuron. Sampling at most a few
 * pairs per query (`attribute --per-query-max`) keeps that assumption close.
 */
import { CelensError } from '../errors.js';
import { mulberry32 } from '../util/random.js';

/** One dataset's pairs, each a row of per-neuron values (all rows the same length). */
export interface Stratum {
  name: string;
  relevant: readonly Float64Array[];
  nonrelevant: readonly Float64Array[];
}

export interface PermutationOptions {
  /** Label permutations (≥ 1). */
  permutations: number;
  /** Seed of the generator every permutation draws from. */
  seed: number;
}

export interface ContrastTest {
  /** Per neuron: mean over the strata of (mean over relevant − mean over non-relevant). */
  contrast: Float64Array;
  /** Per neuron: the two-sided permutation p-value. */
  p: Float64Array;
  permutations: number;
}

/** Contrast per neuron, and its permutation p-value (see the file comment). */
export function contrastPermutationTest(strata: readonly Stratum[], o: PermutationOptions): ContrastTest {
  if (!Number.isInteger(o.permutations) || o.permutations < 1) throw new CelensError(`permutations must be an integer >= 1, got ${o.permutations}`);
  if (strata.length === 0) throw new CelensError('no pairs to test');
  for (const s of strata) {
    if (s.relevant.length === 0 || s.nonrelevant.length === 0) {
      throw new CelensError(`${s.name}: a contrast needs relevant and non-relevant pairs; it has ${s.relevant.length} relevant and ${s.nonrelevant.length} non-relevant`);
    }
  }
  const width = (strata[0]?.relevant[0] as Float64Array).length;
  const prepared = strata.map((s) => {
    const rows = [...s.relevant, ...s.nonrelevant];
    for (const r of rows) if (r.length !== width) throw new CelensError(`${s.name}: rows of ${r.length} values, expected ${width}`);
    const total = new Float64Array(width);
    for (const r of rows) addInto(total, r);
    const nR = s.relevant.length;
    const nN = s.nonrelevant.length;
    // Sum the smaller side: the relevant rows' sum is the total less the other side's.
    const sumRelevant = nR <= nN;
    return { rows, total, nR, nN, m: Math.min(nR, nN), sumRelevant, idx: Int32Array.from(rows.keys()) };
  });
  const scale = new Float64Array(width);
  for (const s of prepared) for (const r of s.rows) for (let j = 0; j < width; j++) scale[j] = Math.max(scale[j] as number, Math.abs(r[j] as number));

  const sub = new Float64Array(width);
  /** Adds each stratum's contrast / strata, its "relevant" rows being idx[0…m) (sumRelevant) or the rest. */
  const statistic = (into: Float64Array): void => {
    into.fill(0);
    for (const s of prepared) {
      sub.fill(0);
      for (let k = 0; k < s.m; k++) addInto(sub, s.rows[s.idx[k] as number] as Float64Array);
      for (let j = 0; j < width; j++) {
        const t = s.total[j] as number;
        const r = s.sumRelevant ? (sub[j] as number) : t - (sub[j] as number);
        into[j] = (into[j] as number) + (r / s.nR - (t - r) / s.nN) / prepared.length;
      }
    }
  };
  // Observed: idx is the identity, so idx[0…m) are the relevant rows when they are the smaller side
  // and otherwise the first m non-relevant ones need moving to the front.
  for (const s of prepared) if (!s.sumRelevant) s.idx = Int32Array.from({ length: s.rows.length }, (_v, k) => (k < s.m ? s.nR + k : k - s.m));
  const contrast = new Float64Array(width);
  statistic(contrast);

  const rng = mulberry32(o.seed);
  const perm = new Float64Array(width);
  const reached = new Float64Array(width);
  for (let b = 0; b < o.permutations; b++) {
    // A uniform m-subset of the rows in idx[0…m): a partial Fisher–Yates shuffle (idx holds a
    // permutation of the rows, whichever one the last draw left).
    for (const s of prepared) {
      const n = s.rows.length;
      for (let k = 0; k < s.m; k++) {
        const r = k + Math.floor(rng() * (n - k));
        const t = s.idx[k] as number;
        s.idx[k] = s.idx[r] as number;
        s.idx[r] = t;
      }
    }
    statistic(perm);
    for (let j = 0; j < width; j++) {
      if (Math.abs(perm[j] as number) >= Math.abs(contrast[j] as number) - 1e-9 * (scale[j] as number)) reached[j] = (reached[j] as number) + 1;
    }
  }
  const p = reached.map((c) => (1 + c) / (1 + o.permutations));
  return { contrast, p, permutations: o.permutations };
}

function addInto(into: Float64Array, row: Float64Array): void {
  for (let j = 0; j < row.length; j++) into[j] = (into[j] as number) + (row[j] as number);
}
