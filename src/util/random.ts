/**
 * Seeded randomness for everything that must be reproducible from a seed (pair sampling, random
 * pruning controls, the random-ranking floor): mulberry32 (a 32-bit generator by Tommy Ettinger;
 * small, fast, and good enough for sampling), Fisher–Yates shuffles and k-subsets. 32-bit state,
 * so a seed is an integer 0…2^32−1 and the same seed gives the same draws on every machine (only
 * integer ops and one division).
 */

export type Rng = () => number;

/** Uniform [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles a copy (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const a = items.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

/** A uniform integer in 0…n−1. */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/**
 * k distinct integers of 0…n−1, uniformly (partial Fisher–Yates: k draws), sorted ascending.
 * Throws on k > n rather than returning fewer.
 */
export function sampleIndices(rng: Rng, n: number, k: number): number[] {
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`cannot draw ${k} of ${n}`);
  const idx = Array.from({ length: n }, (_v, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rng, n - i);
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx.slice(0, k).sort((x, y) => x - y);
}
