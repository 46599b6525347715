/** reportFigures / writeReport: which figures, in what order, from which files. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CelensError } from '../../src/errors.js';
import { reportFigures, writeReport } from '../../src/report/report.js';
import { SWEEP_CELLS, writeAttributions, writeSet, writeSweep } from './fixtures.js';

let tmp: string;
let attr: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-report-'));
  attr = await writeAttributions(path.join(tmp, 'a.jsonl'), [{ layers: [[1, 0], [0, 2]] }]);
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('figures in page order, named by site, segment and metric, with their sources', async () => {
  const sweep = await writeSweep(path.join(tmp, 's.jsonl'));
  const set = await writeSet(path.join(tmp, 'one.json'), { 'layer.0.ffn': [1] });
  const figs = await reportFigures({ attributions: [attr], sweeps: [sweep], sets: [set], segment: 'passage', metrics: ['RR@10'] });
  expect(figs.map((f) => [f.name, f.sources])).toEqual([['heatmap-ffn.pre-passage', [attr]], ['pruning-RR@10', [sweep]], ['overlap', [set]]]);
  expect(figs[0]?.title).toBe('Mean NIG per neuron, layer.*.ffn.pre (passage)');
  expect(figs[2]?.title).toBe('Selected neurons per layer');
});

test('a site the records lack is an error naming the file', async () => {
  const e: unknown = await reportFigures({ attributions: [attr], sites: ['ffn.post'] }).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(CelensError);
  expect((e as CelensError).message).toBe(`${attr}: no site ffn.post in these records (they hold ffn.pre)`);
});

test('a sweep with baselines only: a warning, and a figure of the rules', async () => {
  const sweep = await writeSweep(path.join(tmp, 'base.jsonl'), SWEEP_CELLS.slice(0, 3));
  const warnings: string[] = [];
  const out = path.join(tmp, 'out');
  const r = await writeReport(out, { sweeps: [sweep], metrics: ['nDCG@10'], warn: (m) => warnings.push(m) });
  expect(r.files).toEqual([path.join(out, 'pruning-nDCG@10.svg'), path.join(out, 'pruning-nDCG@10.vl.json'), path.join(out, 'pruning-nDCG@10.png'), path.join(out, 'index.html')]);
  // --no-png: SVGs and specs only.
  const svgOnly = await writeReport(path.join(tmp, 'svg-only'), { sweeps: [sweep], metrics: ['nDCG@10'], png: false, warn: () => undefined });
  expect(svgOnly.files.some((f) => f.endsWith('.png'))).toBe(false);
  expect(warnings).toEqual([`${sweep}: no pruning cells yet; the figure shows the baselines only`]);
  expect(await readFile(path.join(out, 'pruning-nDCG@10.svg'), 'utf8')).toContain('unpruned 0.7');
});

test('sweeps of one model and collection run as separate jobs are drawn as one figure', async () => {
  const baselines = SWEEP_CELLS.slice(0, 3);
  const top = SWEEP_CELLS.filter((c) => c.strategy === 'top');
  const random = SWEEP_CELLS.filter((c) => c.strategy === 'random');
  const a = await writeSweep(path.join(tmp, 'part-a.jsonl'), [...baselines, ...top]);
  const b = await writeSweep(path.join(tmp, 'part-b.jsonl'), [...baselines, ...random]);
  const figs = await reportFigures({ sweeps: [a, b], metrics: ['nDCG@10'] });
  expect(figs.map((f) => [f.name, f.sources])).toEqual([['pruning-nDCG@10', [a, b]]]);
  const whole = await reportFigures({ sweeps: [await writeSweep(path.join(tmp, 'whole.jsonl'))], metrics: ['nDCG@10'] });
  expect(JSON.stringify(figs[0]?.spec)).toBe(JSON.stringify(whole[0]?.spec));

  // Different unpruned rows: not the same experiment.
  const other = await writeSweep(path.join(tmp, 'part-c.jsonl'), [baselines[0], baselines[1], { ...baselines[2], metrics: { 'nDCG@10': 0.5, 'RR@10': 0.8 } }, ...random] as typeof SWEEP_CELLS);
  await expect(reportFigures({ sweeps: [a, other] })).rejects.toThrow(/part-c.jsonl:4: its unpruned row differs from part-a.jsonl's/);
  // The same cell twice.
  await expect(reportFigures({ sweeps: [a, a] })).rejects.toThrow(/cell top@0.01 is also in part-a.jsonl/);
});
