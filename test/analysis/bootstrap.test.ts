/**
 * The bootstrap over queries on journals built so that each replicate's set follows from which
 * queries were drawn: the selection frequencies and the mean Jaccard are worked out by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aggregateFiles } from '../../src/analysis/aggregate.js';
import { bootstrapSets } from '../../src/analysis/bootstrap.js';
import { buildNeuronSets } from '../../src/analysis/neuron-report.js';
import type { NeuronSetsOptions } from '../../src/analysis/neuron-report.js';
import { parseSelector } from '../../src/analysis/neuron-sets.js';
import { readPairTable } from '../../src/analysis/pair-table.js';
import { writeRecords } from './make-records.js';
import type { PairSpec } from './make-records.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-bootstrap-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const pair = (qid: string, v: number[], relevant = true): PairSpec => ({ layers: [v], source: { dataset: 'd', relevant, qid } });

async function run(name: string, pairs: PairSpec[], options: NeuronSetsOptions, replicates: number, seed = 1): Promise<ReturnType<typeof bootstrapSets>> {
  const file = await writeRecords(path.join(tmp, `${name}.jsonl`), pairs);
  const agg = await aggregateFiles([file]);
  const report = buildNeuronSets(agg, options);
  return bootstrapSets(report, await readPairTable([file], agg), options, { replicates, seed });
}
const top1 = { selectors: [parseSelector('top-p:50')] }; // 1 of 2 neurons

test('queries, not pairs, are resampled: q1 with 4 pairs weighs as much as q2 with 1', async () => {
  // q1: 4 pairs [1, 0]; q2: 1 pair [0, 5]. Full data (5 pairs): [0.8, 1] → neuron 0.1.
  // Replicates: q1 q1 → [1, 0] → 0.0 (prob 1/4); q2 q2 → 0.1; q1 q2 → the full data → 0.1.
  // So 0.1 is picked with frequency 3/4, 0.0 with 1/4, and J is 1 or 0: mean 3/4.
  // (Resampling the 5 pairs instead would pick 0.1 whenever q2's pair is drawn: 1 − (4/5)^5 = 0.67.)
  const pairs = [pair('q1', [1, 0]), pair('q1', [1, 0]), pair('q1', [1, 0]), pair('q1', [1, 0]), pair('q2', [0, 5])];
  const B = 3000;
  const [s] = await run('weights', pairs, top1, B);
  const tol = 4 * Math.sqrt((3 / 16) / B);
  expect(s?.set).toBe('d/top-p:50');
  expect(s?.replicates).toBe(B);
  expect(s?.failed).toBe(0);
  expect(s?.meanSize).toBe(1);
  expect(Math.abs((s?.jaccard.mean as number) - 0.75)).toBeLessThan(tol);
  expect(s?.jaccard.median).toBe(1);
  expect(s?.jaccard.q05).toBe(0);
  const [inSet, other] = s?.frequencies ?? [];
  expect(inSet).toMatchObject({ layer: 0, index: 1, inSet: true });
  expect(Math.abs((inSet?.frequency as number) - 0.75)).toBeLessThan(tol);
  expect(other).toMatchObject({ layer: 0, index: 0, inSet: false });
  expect((inSet?.frequency as number) + (other?.frequency as number)).toBeCloseTo(1, 12);
  // Seeded.
  expect(await run('weights2', pairs, top1, 200, 7)).toEqual(await run('weights3', pairs, top1, 200, 7));
});

test('one query: every replicate is the full data (Jaccard 1, frequency 1)', async () => {
  const [s] = await run('one', [pair('q', [2, 1]), pair('q', [0, 1])], top1, 50);
  expect(s?.jaccard).toEqual({ mean: 1, sd: 0, q05: 1, median: 1, q95: 1 });
  expect(s?.frequencies).toEqual([{ layer: 0, index: 0, frequency: 1, inSet: true }]);
});

test('a replicate with no relevant pair (under --from relevant) fails and is counted apart', async () => {
  // q2 has only a non-relevant pair: the replicate q2 q2 (prob 1/4) has nothing to rank.
  const B = 2000;
  const [s] = await run('failed', [pair('q1', [3, 0]), pair('q2', [0, 9], false)], { ...top1, from: 'relevant' }, B);
  expect(Math.abs((s?.failed as number) / B - 0.25)).toBeLessThan(4 * Math.sqrt(3 / 16 / B));
  expect((s?.replicates as number) + (s?.failed as number)).toBe(B);
  // Every replicate that has a relevant pair has only q1's: the set never moves.
  expect(s?.jaccard.mean).toBe(1);
});
