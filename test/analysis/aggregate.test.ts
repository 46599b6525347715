/** Means per dataset, relevance group, segment and normalization, on hand-built journals. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aggregateFiles, pairValues, siteKinds } from '../../src/analysis/aggregate.js';
import type { Aggregation, LayerValues } from '../../src/analysis/aggregate.js';
import { header, record, writeRecords } from './make-records.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-aggregate-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const plain = (v: LayerValues): number[][] => v.map((a) => Array.from(a));
const dataset = (a: Aggregation, name: string): Aggregation['datasets'][number] => {
  const d = a.datasets.find((x) => x.dataset === name);
  if (!d) throw new Error(`no dataset ${name}`);
  return d;
};

test('records without a source: one dataset named after the file, counted in "all" only', async () => {
  const file = await writeRecords(path.join(tmp, 'plain.jsonl'), [{ layers: [[1, 2], [3, -1]] }, { layers: [[3, 0], [-1, 5]] }]);
  const a = await aggregateFiles([file]);
  expect(a.site).toBe('ffn.pre');
  expect(a.widths).toEqual([2, 2]);
  const d = dataset(a, 'plain');
  expect(d.files).toEqual([file]);
  expect(d.groups.all.pairs).toBe(2);
  expect(plain(d.groups.all.mean)).toEqual([[2, 1], [1, 2]]);
  expect(d.groups.relevant.pairs).toBe(0);
  expect(plain(d.groups.relevant.mean)).toEqual([[0, 0], [0, 0]]);
});

test('source.dataset splits a file; relevant and non-relevant pairs are averaged apart', async () => {
  const file = await writeRecords(path.join(tmp, 'mixed.jsonl'), [
    { layers: [[2, 0], [0, 0]], source: { dataset: 'dl19', relevant: true } },
    { layers: [[4, 2], [0, 2]], source: { dataset: 'dl19', relevant: true } },
    { layers: [[0, 0], [6, 0]], source: { dataset: 'dl19', relevant: false } },
    { layers: [[1, 1], [1, 1]], source: { dataset: 'covid', relevant: true } },
  ]);
  const other = await writeRecords(path.join(tmp, 'more-covid.jsonl'), [{ layers: [[3, 3], [3, 3]], source: { dataset: 'covid', relevant: false } }]);
  const a = await aggregateFiles([file, other]);
  expect(a.datasets.map((d) => d.dataset)).toEqual(['dl19', 'covid']);
  const dl = dataset(a, 'dl19');
  expect([dl.groups.all.pairs, dl.groups.relevant.pairs, dl.groups.nonrelevant.pairs]).toEqual([3, 2, 1]);
  expect(plain(dl.groups.all.mean)).toEqual([[2, 2 / 3], [2, 2 / 3]]);
  expect(plain(dl.groups.relevant.mean)).toEqual([[3, 1], [0, 1]]);
  expect(plain(dl.groups.nonrelevant.mean)).toEqual([[0, 0], [6, 0]]);
  const covid = dataset(a, 'covid');
  expect(covid.files).toEqual([file, other]);
  expect(plain(covid.groups.all.mean)).toEqual([[2, 2], [2, 2]]);
});

test('one segment reads its row of segments_sum (order cls, query, sep1, passage, sep2)', async () => {
  const seg = (q: number[]): number[][] => [[9, 9], q, [0, 0], [0, 0], [0, 0]];
  const file = await writeRecords(path.join(tmp, 'seg.jsonl'), [
    { layers: [[0, 0]], segments: [seg([1, -1])] },
    { layers: [[0, 0]], segments: [seg([3, 5])] },
  ]);
  expect(plain(dataset(await aggregateFiles([file], { segment: 'query' }), 'seg').groups.all.mean)).toEqual([[2, 2]]);
  expect(plain(dataset(await aggregateFiles([file], { segment: 'cls' }), 'seg').groups.all.mean)).toEqual([[9, 9]]);
  expect(plain(dataset(await aggregateFiles([file]), 'seg').groups.all.mean)).toEqual([[0, 0]]);
});

test('normalize l1 divides by Σ|attr| over all layers, target by F(x) − F(x′); a zero normalizer adds zeros', () => {
  const r = record(0, { layers: [[1, -3], [0, 4]], target: { input: 3, baseline: 1 } });
  expect(plain(pairValues(r, 'ffn.pre', 'all', 'l1', [2, 2]).values)).toEqual([[0.125, -0.375], [0, 0.5]]);
  expect(plain(pairValues(r, 'ffn.pre', 'all', 'target', [2, 2]).values)).toEqual([[0.5, -1.5], [0, 2]]);
  const z = pairValues(record(1, { layers: [[1, 2]], target: { input: 1, baseline: 1 } }), 'ffn.pre', 'all', 'target', [2]);
  expect(z).toEqual({ values: [new Float64Array([0, 0])], zero: true });
});

test('several sites need --site; a missing site or a ragged record is an error naming file and line', async () => {
  const file = await writeRecords(path.join(tmp, 'two.jsonl'), [{ layers: [[1, 2]], extra: { 'ffn.post': [[5, 7]] } }]);
  expect(siteKinds(record(0, { layers: [[1]], extra: { out: [[1]] } }))).toEqual(['ffn.pre', 'out']);
  await expect(aggregateFiles([file])).rejects.toThrow(`${file}: records hold several sites (ffn.pre, ffn.post): choose one (--site)`);
  expect(plain(dataset(await aggregateFiles([file], { site: 'ffn.post' }), 'two').groups.all.mean)).toEqual([[5, 7]]);
  await expect(aggregateFiles([file], { site: 'out' })).rejects.toThrow(`${file}: no site out in these records (they hold ffn.pre, ffn.post)`);
  const ragged = path.join(tmp, 'ragged.jsonl');
  await writeFile(ragged, [header(2), record(0, { layers: [[1, 2]] }), record(1, { layers: [[1, 2, 3]] })].map((o) => `${JSON.stringify(o)}\n`).join(''));
  await expect(aggregateFiles([ragged])).rejects.toThrow(`${ragged}:3: layer.0.ffn.pre: expected 2 values, found 3 (every record must hold the same site and layers)`);
});
