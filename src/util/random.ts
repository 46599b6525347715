/**
 * Seeded randomness for everything that must be reproducible from a seed (pair sampling, random
 * pruning controls): mulberry32 (a 32-bit generator by Tommy Ettinger; small, fast, and good enough
 * for sampling), Fisher–Yates shuffles and k-subsets.
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

/** k distinct integers from 0…n−1, ascending. */
export function sampleIndices(n: number, k: number, rng: Rng): number[] {
  const idx = Array.from({ length: n }, (_v, i) => i);
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [idx[i], idx[j]] = [idx[j] as number, idx[i] as number];
  }
  return idx.slice(0, m).sort((x, y) => x - y);
}
