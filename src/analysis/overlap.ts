/**
 * How much two neuron sets agree: sizes, intersection, union and Jaccard |A∩B| / |A∪B| — the
 * figures for "do the relevance neurons of two datasets coincide?". Two empty sets are equal
 * (Jaccard 1), so the figure is always defined.
 */
import type { NeuronSet } from './neuron-sets.js';

export interface Overlap {
  a: string;
  b: string;
  sizeA: number;
  sizeB: number;
  intersection: number;
  union: number;
  jaccard: number;
}

export function overlap(a: NeuronSet, b: NeuronSet): Overlap {
  const keys = (s: NeuronSet): Set<string> => new Set(s.neurons.map((n) => `${n.layer}.${n.index}`));
  const A = keys(a);
  const B = keys(b);
  let intersection = 0;
  for (const k of A) if (B.has(k)) intersection++;
  const union = A.size + B.size - intersection;
  return { a: a.name, b: b.name, sizeA: A.size, sizeB: B.size, intersection, union, jaccard: union === 0 ? 1 : intersection / union };
}

/** Every pair of sets, in input order (a before b). */
export function overlaps(sets: readonly NeuronSet[]): Overlap[] {
  return sets.flatMap((a, i) => sets.slice(i + 1).map((b) => overlap(a, b)));
}
