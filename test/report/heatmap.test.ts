/** Heatmap spec: cells hold the mean attributions (pooled by largest magnitude), panels per group. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aggregateFiles } from '../../src/analysis/aggregate.js';
import type { Aggregation } from '../../src/analysis/aggregate.js';
import { heatmapCaption, heatmapData, heatmapSpec } from '../../src/report/heatmap.js';
import { renderSvg } from '../../src/report/render.js';
import { writeAttributions } from './fixtures.js';
import { svgTexts, xmlProblem } from './xml.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-report-heatmap-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

const f64 = (rows: number[][]): Float64Array[] => rows.map((r) => Float64Array.from(r));

function handMade(): Aggregation {
  const mean = f64([[1, -4, 2, 0.5, -0.1], [0, 0, 3, 0, 0]]);
  const zero = f64([[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
  return {
    site: 'ffn.pre',
    segment: 'all',
    normalize: 'none',
    widths: [5, 5],
    zeroNormalized: 0,
    datasets: [{ dataset: 'toy', files: ['toy.jsonl'], groups: { all: { pairs: 3, mean }, relevant: { pairs: 0, mean: zero }, nonrelevant: { pairs: 0, mean: zero } } }],
  };
}

/** The spec's inline data rows. */
function rows(spec: unknown): Array<Record<string, unknown>> {
  return (spec as { data: { values: Array<Record<string, unknown>> } }).data.values;
}

test('one cell per neuron when layers fit; values are the means; the colour scale is symmetric', () => {
  const spec = heatmapSpec(handMade(), { clip: 1 });
  const cells = rows(spec);
  expect(cells).toHaveLength(10);
  expect(cells.slice(0, 5).map((c) => [c.layer, c.neuron, c.neuronEnd, c.value])).toEqual([[0, 0, 1, 1], [0, 1, 2, -4], [0, 2, 3, 2], [0, 3, 4, 0.5], [0, 4, 5, -0.1]]);
  expect(new Set(cells.map((c) => c.panel))).toEqual(new Set(['all pairs (n = 3)']));
  const color = (spec as unknown as { spec: { encoding: { color: { scale: { domain: number[]; scheme: string } } } } }).spec.encoding.color.scale;
  expect(color.domain).toEqual([-4, 4]);
  expect(color.scheme).toBe('redblue');
});

test('wide layers pool neighbouring neurons, keeping the signed value of largest magnitude', () => {
  const d = heatmapData(handMade(), { columns: 2, clip: 1 });
  expect(d.pool).toBe(3);
  expect(d.cells.map((c) => [c.layer, c.neuron, c.neuronEnd, c.value])).toEqual([[0, 0, 3, -4], [0, 3, 5, 0.5], [1, 0, 3, 3], [1, 3, 5, 0]]);
  expect(heatmapCaption(handMade(), { columns: 2 })).toContain('pool 3 neighbouring neurons');
});

test('the clip quantile sets the colour range', () => {
  // |values| sorted: 0, 0, 0, 0, 0.1, 0.5, 1, 2, 3, 4 (10 cells) → the 0.8 quantile is the 8th: 2.
  expect(heatmapData(handMade(), { clip: 0.8 }).limit).toBe(2);
  expect(heatmapData(handMade(), { clip: 0.7 }).limit).toBe(1);
  expect(heatmapData(handMade(), { clip: 1 }).limit).toBe(4);
});

test('from journals: relevant and non-relevant pairs in their own panels, rendered to SVG', async () => {
  const file = await writeAttributions(path.join(tmp, 'a.jsonl'), [
    { layers: [[2, 0, -1], [0, 1, 0]], relevant: true },
    { layers: [[4, 0, -3], [0, 3, 0]], relevant: true },
    { layers: [[-1, 0, 0], [0, 0, 5]], relevant: false },
  ]);
  const agg = await aggregateFiles([file], { site: 'ffn.pre' });
  const spec = heatmapSpec(agg, { groups: ['relevant', 'nonrelevant'], method: 'NIG', clip: 1 });
  const cells = rows(spec);
  const rel = cells.filter((c) => c.panel === 'relevant pairs (n = 2)');
  const non = cells.filter((c) => c.panel === 'non-relevant pairs (n = 1)');
  expect(rel.map((c) => c.value)).toEqual([3, 0, -2, 0, 2, 0]);
  expect(non.map((c) => c.value)).toEqual([-1, 0, 0, 0, 0, 5]);

  const svg = await renderSvg(spec);
  expect(xmlProblem(svg)).toBeUndefined();
  const texts = svgTexts(svg);
  for (const t of ['Layer', 'Neuron index', 'mean NIG', 'relevant pairs (n = 2)', 'non-relevant pairs (n = 1)', 'Mean NIG per neuron: layer.*.ffn.pre']) expect(texts).toContain(t);
});

test('a segment and a second dataset: the subtitle says which, panels name the datasets', async () => {
  const a = await writeAttributions(path.join(tmp, 'ds.jsonl'), [
    { layers: [[1, 1]], relevant: true, dataset: 'dl19' },
    { layers: [[3, 3]], relevant: true, dataset: 'covid' },
  ]);
  const agg = await aggregateFiles([a], { site: 'ffn.pre', segment: 'passage' });
  const spec = heatmapSpec(agg);
  expect([...new Set(rows(spec).map((c) => c.panel))]).toEqual(['dl19 · all pairs (n = 1)', 'covid · all pairs (n = 1)']);
  expect(JSON.stringify((spec as { title: unknown }).title)).toContain('passage tokens');
});
