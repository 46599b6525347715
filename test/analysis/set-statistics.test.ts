/** p-values and frequencies on a report's sets: which test speaks for which set, and the notes. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aggregateFiles } from '../../src/analysis/aggregate.js';
import { formatNeuronReport } from '../../src/analysis/format-report.js';
import { buildNeuronSets, neuronSetMeta } from '../../src/analysis/neuron-report.js';
import type { NeuronSetsOptions } from '../../src/analysis/neuron-report.js';
import { parseSelector } from '../../src/analysis/neuron-sets.js';
import { adjustPValues } from '../../src/stats/correction.js';
import { readPairTable } from '../../src/analysis/pair-table.js';
import { withSetStatistics } from '../../src/analysis/set-statistics.js';
import { writeRecords } from './make-records.js';
import type { PairSpec } from './make-records.js';

let tmp: string;
let files: string[];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-set-stats-'));
  const p = (dataset: string, relevant: boolean, v: number[]): PairSpec => ({ layers: [v], source: { dataset, relevant } });
  // a: neuron 0 is 1, 1 on relevant and 0, 0 on non-relevant pairs (exact p = 2/6); neuron 1 is always 0 (p = 1).
  // b: neuron 0 is ~1 on 10 relevant and ~0 on 10 non-relevant pairs (p = 1 / (1 + B)); neuron 1 always 0.
  files = [
    await writeRecords(path.join(tmp, 'a.jsonl'), [p('a', true, [1, 0]), p('a', true, [1, 0]), p('a', false, [0, 0]), p('a', false, [0, 0])]),
    await writeRecords(path.join(tmp, 'b.jsonl'), [...Array.from({ length: 10 }, (_v, i) => p('b', true, [1 + i / 100, 0])), ...Array.from({ length: 10 }, (_v, i) => p('b', false, [i / 100, 0]))]),
  ];
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('dataset sets get their dataset\'s p, an intersection the largest over its datasets, a difference none', async () => {
  const agg = await aggregateFiles(files);
  const options: NeuronSetsOptions = { selectors: [parseSelector('top-p:50')], from: 'contrast', intersect: true, fuse: true, diff: ['b:a'] };
  const report = buildNeuronSets(agg, options);
  const r = withSetStatistics(report, await readPairTable(files, agg), options, { permutations: 999, seed: 2, correction: 'holm' });
  const tests = r.statistics?.tests ?? [];
  expect(tests.map((t) => [t.name, t.datasets, t.pairs])).toEqual([
    ['a', ['a'], { relevant: 2, nonrelevant: 2 }],
    ['b', ['b'], { relevant: 10, nonrelevant: 10 }],
    ['fused', ['a', 'b'], { relevant: 12, nonrelevant: 12 }],
  ]);
  const [a, b] = tests;
  expect(a?.contrast[0]?.[0]).toBe(1);
  expect(Math.abs((a?.p[0]?.[0] as number) - 1 / 3)).toBeLessThan(0.07);
  expect(a?.p[0]?.[1]).toBe(1);
  expect(b?.p[0]?.[0]).toBe(1 / 1000);
  expect(Array.from(a?.pAdjusted[0] ?? [])).toEqual(adjustPValues(Array.from(a?.p[0] ?? []), 'holm'));
  // Holm over 2 neurons: b's neuron 0 at 2/1000 is significant at 0.05, a's at ~2/3 is not.
  expect(b?.significantPerLayer).toEqual([1]);
  expect(b?.significant).toEqual([{ layer: 0, index: 0, contrast: expect.closeTo(1, 12) as number, p: 0.001, pAdjusted: 0.002 }]);
  expect(a?.significantPerLayer).toEqual([0]);
  const set = (name: string): { p?: number; pAdjusted?: number } | undefined => r.sets.find((s) => s.name === name)?.neurons[0];
  expect(set('a/top-p:50')).toMatchObject({ layer: 0, index: 0, p: a?.p[0]?.[0], pAdjusted: a?.pAdjusted[0]?.[0] });
  expect(set('b/top-p:50')).toMatchObject({ p: 0.001, pAdjusted: 0.002 });
  expect(set('intersect/top-p:50')).toMatchObject({ p: a?.p[0]?.[0], pAdjusted: a?.pAdjusted[0]?.[0] });
  expect(set('fused/top-p:50')?.p).toBe(tests[2]?.p[0]?.[0]);
  expect(set('b-minus-a/top-p:50')?.p).toBeUndefined();
  expect(r.statistics?.notes).toEqual([]);
  // The meta file says which test and correction gave the p-values.
  const intersect = r.sets.find((s) => s.kind === 'intersect');
  if (!intersect) throw new Error('no intersection');
  expect(neuronSetMeta(r, intersect)).toMatchObject({ test: { tests: ['a', 'b'], permutations: 999, seed: 2, correction: 'holm', alpha: 0.05 } });
  const text = formatNeuronReport(r);
  expect(text).toContain('neurons with Holm-adjusted p <= 0.05, per layer');
  expect(text).toMatch(/\nb\s+10\s+10\s+1\s+1\n/);
});

test('too few permutations for the correction is said; the bootstrap fills frequencies', async () => {
  const agg = await aggregateFiles(files);
  const options: NeuronSetsOptions = { selectors: [parseSelector('top-p:50')], from: 'relevant' };
  const report = buildNeuronSets(agg, options);
  const r = withSetStatistics(report, await readPairTable(files, agg), options, { permutations: 10, bootstrap: 20, correction: 'holm' });
  expect(r.statistics?.notes).toEqual(['--permutations 10: the smallest p-value is 1/11, above α/m = 0.05/2; Holm can declare no neuron. 40 permutations lift that limit']);
  // Every pair is its own query here, and neuron 0 is the larger in every replicate: frequency 1.
  expect(r.sets.map((s) => s.neurons.map((n) => [n.index, n.frequency]))).toEqual([[[0, 1]], [[0, 1]]]);
  expect(r.statistics?.stability.map((s) => s.jaccard.mean)).toEqual([1, 1]);
  expect(formatNeuronReport(r)).toContain('bootstrap over queries (20 replicates, seed 1)');
});
