/**
 * Seeded draws for the random pruning baseline. The generator is the IR layer's mulberry32 (the
 * one behind the random-ranking floor): 32-bit state, so a seed is an integer 0…2^32−1 and the
 * same seed gives the same draws on every machine (only integer ops and one division).
 */
import { mulberry32 } from '../ir/random-floor.js';

export type Rand = () => number;

export function seededRandom(seed: number): Rand {
  return mulberry32(seed);
}

/** A uniform integer in 0…n−1. */
export function randomInt(rand: Rand, n: number): number {
  return Math.floor(rand() * n);
}

/**
 * k distinct indices of 0…n−1, uniformly (partial Fisher–Yates: k draws), sorted ascending.
 * Throws on k > n rather than returning fewer.
 */
export function sampleIndices(rand: Rand, n: number, k: number): number[] {
  if (!Number.isInteger(k) || k < 0 || k > n) throw new RangeError(`cannot draw ${k} of ${n}`);
  const a = Array.from({ length: n }, (_v, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rand, n - i);
    [a[i], a[j]] = [a[j] as number, a[i] as number];
  }
  return a.slice(0, k).sort((x, y) => x - y);
}
