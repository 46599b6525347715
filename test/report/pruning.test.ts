/** Pruning curves: lines per strategy, the random band over seeds, baseline rules. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readSweepInput } from '../../src/report/inputs.js';
import type { SweepInput } from '../../src/report/inputs.js';
import { pruningCaption, pruningData, pruningSpec, spreadUp, sweepMetrics } from '../../src/report/pruning.js';
import { renderSvg } from '../../src/report/render.js';
import { writeSweep } from './fixtures.js';
import { svgTexts, xmlProblem } from './xml.js';

let tmp: string;
let sweep: SweepInput;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-report-pruning-'));
  sweep = await readSweepInput(await writeSweep(path.join(tmp, 'sweep.jsonl')));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

interface Layer {
  data: { values: Array<Record<string, unknown>> };
  mark: unknown;
}

const RANDOM = 'random: mean of 3 seeds, min–max';

test('metrics of a sweep, in order', () => {
  expect(sweepMetrics(sweep)).toEqual(['nDCG@10', 'RR@10']);
});

test('lines: top as is, random as the mean over seeds; the band spans min–max', () => {
  const d = pruningData(sweep, { metric: 'nDCG@10' });
  expect(d.series).toEqual(['top', RANDOM]);
  expect(d.randomSeries).toEqual([RANDOM]);
  const at = (series: string): number[][] => d.lines.filter((p) => p.series === series).map((p) => [p.budget, Number(p.value.toFixed(6)), p.seeds]);
  expect(at('top')).toEqual([[0.01, 0.6, 1], [0.1, 0.3, 1]]);
  expect(at(RANDOM)).toEqual([[0.01, 0.7, 3], [0.1, 0.64, 3]]);
  expect(d.bands.map((b) => [b.budget, Number(b.lo.toFixed(6)), Number(b.hi.toFixed(6))])).toEqual([[0.01, 0.69, 0.71], [0.1, 0.62, 0.66]]);
  expect(d.references.map((r) => [r.reference, r.value, r.label])).toEqual([['unpruned', 0.7, 'unpruned 0.7'], ['first-stage', 0.5, 'first stage 0.5'], ['random-ranking', 0.2, 'random ranking 0.2']]);
});

test('band sd: mean ± the sample standard deviation', () => {
  const d = pruningData(sweep, { metric: 'nDCG@10', band: 'sd' });
  // seeds give 0.69, 0.70, 0.71 at 1%: sd = 0.01.
  const b = d.bands[0];
  expect(b?.lo).toBeCloseTo(0.69, 9);
  expect(b?.hi).toBeCloseTo(0.71, 9);
  expect(d.series[1]).toBe('random: mean of 3 seeds, ± sd');
});

test('the spec carries the rules, the band and the lines as data; log x', () => {
  const spec = pruningSpec(sweep, { metric: 'RR@10' }) as unknown as { layer: Layer[] };
  const [rules, band, lines] = spec.layer as [Layer, Layer, Layer];
  expect(rules.data.values.map((r) => r.value)).toEqual([0.8, 0.6, 0.25]);
  expect(band.data.values.map((r) => [r.budget, r.lo, r.hi])).toEqual([[0.01, 0.78, 0.78], [0.1, 0.7, 0.7]]);
  expect(lines.data.values.filter((r) => r.series === 'top').map((r) => r.value)).toEqual([0.7, 0.4]);
  expect(JSON.stringify(spec)).toContain('"type":"log"');
});

test('several ablations are told apart in the legend; a zero budget switches x to symlog', () => {
  const s: SweepInput = {
    ...sweep,
    cells: [
      { line: 2, strategy: 'top', unit: 'neurons', ablation: 'zero', budget: 0, metrics: { 'nDCG@10': 0.7 } },
      { line: 3, strategy: 'top', unit: 'neurons', ablation: 'mean', budget: 0.1, metrics: { 'nDCG@10': 0.5 } },
    ],
  };
  expect(pruningData(s).series).toEqual(['top (mean ablation)', 'top (zero ablation)']);
  expect(JSON.stringify(pruningSpec(s))).toContain('"type":"symlog"');
});

test('rendered: axis titles, legend labels and rule labels are in the SVG', async () => {
  const svg = await renderSvg(pruningSpec(sweep, { metric: 'nDCG@10' }));
  expect(xmlProblem(svg)).toBeUndefined();
  const texts = svgTexts(svg);
  for (const t of ['nDCG@10', 'Share of neurons pruned (log scale)', 'Strategy', 'top', RANDOM, 'unpruned 0.7', 'first stage 0.5', 'random ranking 0.2', '1%', '10%']) {
    expect(texts).toContain(t);
  }
  expect(pruningCaption(sweep)).toContain('band over its seeds (minimum to maximum)');
});

test('rule labels closer than a line are moved apart, upwards', () => {
  expect(spreadUp([0.5, 0.2, 0.51], 0.05)).toEqual([0.5, 0.2, 0.55]);
  const close: SweepInput = { ...sweep, baselines: [{ line: 2, strategy: 'unpruned', metrics: { 'nDCG@10': 0.5 } }, { line: 3, strategy: 'first-stage', metrics: { 'nDCG@10': 0.501 } }] };
  const spec = pruningSpec(close) as unknown as { layer: Layer[] };
  const [a, b] = (spec.layer[0] as Layer).data.values.map((r) => r.labelAt as number);
  expect((b ?? 0) - (a ?? 0)).toBeGreaterThan(0.01);
});
