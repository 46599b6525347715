/**
 * The plan of an attribution run: pairs sorted by length and grouped `pairsPerBatch` at a time,
 * and the share of the groups a shard computes. A plan depends only on the lengths and options,
 * never on what was already done or on the number of workers, so a resumed, sharded or parallel
 * run computes exactly the same numbers. No tfjs here: merging shards reads it too.
 */
import { UsageError } from '../errors.js';

export interface Shard {
  index: number;
  count: number;
}

/** Input-order indices, grouped by length: the unit of work (and of resuming and parallelism). */
export function planGroups(lengths: readonly number[], pairsPerBatch: number): number[][] {
  const order = lengths.map((n, i) => [n, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const groups: number[][] = [];
  for (let i = 0; i < order.length; i += pairsPerBatch) groups.push(order.slice(i, i + pairsPerBatch).map(([, idx]) => idx));
  return groups;
}

/** The groups a shard computes: the same groups (and padding) as the unsharded plan, every count-th. */
export function shardGroups(groups: number[][], shard: Shard | undefined): number[][] {
  if (!shard) return groups;
  return groups.filter((_g, k) => k % shard.count === shard.index);
}

/** Parses `i/N` (0 ≤ i < N). */
export function parseShard(s: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || !(count >= 1) || !(index < count)) throw new UsageError(`--shard takes i/N with 0 <= i < N, e.g. 0/4 (got '${s}')`);
  return { index, count };
}
