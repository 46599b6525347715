/** Sets per dataset, intersection, fusion, difference, overlaps, and the files --out writes. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Aggregation, LayerValues } from '../../src/analysis/aggregate.js';
import { formatNeuronReport } from '../../src/analysis/format-report.js';
import { parseMagnitudes } from '../../src/analysis/magnitudes.js';
import { buildNeuronSets, metaPath, primarySet, resolveDiff, writeNeuronSet } from '../../src/analysis/neuron-report.js';
import type { NeuronReport } from '../../src/analysis/neuron-report.js';
import { parseSelector } from '../../src/analysis/neuron-sets.js';
import { masksToJson, readMasks } from '../../src/model/masks.js';
import { parseConfig } from '../../src/weights/config.js';

const lv = (...rows: number[][]): LayerValues => rows.map((r) => Float64Array.from(r));
const zeros = lv([0, 0, 0, 0], [0, 0, 0, 0]);
function agg(means: Record<string, LayerValues>): Aggregation {
  return {
    site: 'ffn.pre',
    segment: 'all',
    normalize: 'none',
    widths: [4, 4],
    zeroNormalized: 0,
    datasets: Object.entries(means).map(([dataset, mean]) => ({ dataset, files: [`${dataset}.jsonl`], groups: { all: { pairs: 2, mean }, relevant: { pairs: 0, mean: zeros }, nonrelevant: { pairs: 0, mean: zeros } } })),
  };
}
// 8 neurons: top-p:25 keeps 2.
const A = lv([5, 1, 0, -1], [0, 4, 2, 0]);
const B = lv([1, 5, 0, -1], [0, 4, -3, 2]);
const names = (r: NeuronReport): Record<string, string[]> => Object.fromEntries(r.sets.map((s) => [s.name, s.neurons.map((n) => `${n.layer}.${n.index}=${n.value}`)]));

test('per dataset, intersection, fusion (mean of means) and difference (OOD − IN)', () => {
  const r = buildNeuronSets(agg({ A, B }), { selectors: [parseSelector('top-p:25')], intersect: true, fuse: true, diff: ['B:A'] });
  expect(names(r)).toEqual({
    'A/top-p:25': ['0.0=5', '1.1=4'],
    'B/top-p:25': ['0.1=5', '1.1=4'],
    'intersect/top-p:25': ['1.1=4'],
    // fused: [3,3,0,-1],[0,4,-0.5,1]
    'fused/top-p:25': ['1.1=4', '0.0=3'],
    // B − A: [-4,4,0,0],[0,0,-5,2]
    'B-minus-A/top-p:25': ['0.1=4', '1.3=2'],
  });
  expect(r.perLayer['A/top-p:25']).toEqual([1, 1]);
  expect(r.perLayer['B-minus-A/top-p:25']).toEqual([1, 1]);
  const ab = r.overlaps.find((o) => o.a === 'A/top-p:25' && o.b === 'B/top-p:25');
  expect(ab).toMatchObject({ intersection: 1, union: 3, jaccard: 1 / 3 });
  expect(r.overlaps).toHaveLength(10);
});

test('--out takes the one combined set, or the only set; otherwise it asks', () => {
  const sel = [parseSelector('top-p:25')];
  expect(primarySet(buildNeuronSets(agg({ A, B }), { selectors: sel, intersect: true })).name).toBe('intersect/top-p:25');
  expect(primarySet(buildNeuronSets(agg({ A }), { selectors: sel })).name).toBe('A/top-p:25');
  expect(() => primarySet(buildNeuronSets(agg({ A, B }), { selectors: sel }))).toThrow('--out writes one set; this run makes 2 (A/top-p:25, B/top-p:25)');
  expect(() => primarySet(buildNeuronSets(agg({ A, B }), { selectors: sel, intersect: true, fuse: true }))).toThrow('this run makes 2 (intersect/top-p:25, fused/top-p:25)');
});

test('an empty relevance group, an unknown dataset and a bad --diff are errors', () => {
  expect(() => buildNeuronSets(agg({ A }), { from: 'relevant' })).toThrow("dataset 'A' has no relevant pairs (records without source.relevant count only in \"all\"");
  expect(() => buildNeuronSets(agg({ A, B }), { diff: ['A:C'] })).toThrow('--diff A:C: expected OOD:IN, two of the datasets A, B');
  expect(resolveDiff('beir:x:dl19', ['beir:x', 'dl19'])).toEqual(['beir:x', 'dl19']);
});

test('magnitude:P ranks the activation file, or is skipped with a note', () => {
  const sel = [parseSelector('magnitude:25'), parseSelector('top-k:1')];
  const skipped = buildNeuronSets(agg({ A }), { selectors: sel });
  expect(skipped.skipped).toEqual(['magnitude:25 skipped: it ranks neurons by mean |activation|, which needs --magnitude FILE ({"layer.0": [numbers], …})']);
  expect(Object.keys(names(skipped))).toEqual(['A/top-k:1']);
  const magnitudes = parseMagnitudes({ 'layer.0': [0, 0, 9, 0], 'layer.1': [8, 0, 0, 0], statistic: 'mean-abs' }, [4, 4], 'mag.json');
  const r = buildNeuronSets(agg({ A }), { selectors: sel, magnitudes });
  expect(names(r)).toEqual({ 'magnitude:25': ['0.2=9', '1.0=8'], 'A/top-k:1': ['0.0=5', '1.1=4'] });
  expect(r.overlaps[0]).toMatchObject({ a: 'magnitude:25', b: 'A/top-k:1', intersection: 0, jaccard: 0 });
});

test('the mask JSON reads back with readMasks; the meta file holds the rule, counts and values', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-report-'));
  try {
    const r = buildNeuronSets(agg({ A, B }), { selectors: [parseSelector('top-p:25')], fuse: true });
    const out = path.join(tmp, 'set.json');
    expect(await writeNeuronSet(out, r, primarySet(r))).toEqual({ mask: out, meta: path.join(tmp, 'set.meta.json') });
    const config = parseConfig({ hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 4, vocab_size: 10 });
    expect(masksToJson(await readMasks(out, config))).toEqual({ 'layer.0.ffn': [0], 'layer.1.ffn': [1] });
    const meta = JSON.parse(await readFile(metaPath(out), 'utf8')) as Record<string, unknown>;
    expect(meta).toMatchObject({ celens: 'neurons', set: 'fused/top-p:25', rule: 'top-p:25', kind: 'fused', site: 'ffn.pre', from: 'all', size: 2, total: 8, perLayer: [1, 1] });
    expect(meta.neurons).toEqual([{ layer: 1, index: 1, value: 4 }, { layer: 0, index: 0, value: 3 }]);
    expect(meta.datasets).toEqual([{ dataset: 'A', files: ['A.jsonl'], pairs: { all: 2, relevant: 0, nonrelevant: 0 } }, { dataset: 'B', files: ['B.jsonl'], pairs: { all: 2, relevant: 0, nonrelevant: 0 } }]);
    expect(metaPath('x.mask')).toBe('x.mask.meta.json');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test('the table names pairs, per-layer counts, top neurons and overlaps', () => {
  const text = formatNeuronReport(buildNeuronSets(agg({ A, B }), { selectors: [parseSelector('top-p:25')], intersect: true }), { top: 1 });
  expect(text).toContain('site layer.{l}.ffn.pre, segment all, normalize none; attribution sets rank the mean over all pairs');
  expect(text).toContain('selected neurons per layer (of 8)\nlayer  A/top-p:25  B/top-p:25  intersect/top-p:25\n0               1           1                   0\n1               1           1                   1\ntotal           2           2                   1');
  expect(text).toContain('A/top-p:25: 2 neurons\nrank    layer  neuron  value\n1     layer.0       0  5.000\n… 1 more');
  expect(text).toContain('intersect/top-p:25 per layer\nlayer 0 │');
  expect(text).toMatch(/A\/top-p:25\s+B\/top-p:25\s+2\s+2\s+1\s+0\.333/);
});

test('--from contrast ranks mean over relevant − mean over non-relevant pairs; it needs both groups', () => {
  const g = (rel: LayerValues, non: LayerValues): Aggregation['datasets'][number] => ({ dataset: 'D', files: ['D.jsonl'], groups: { all: { pairs: 4, mean: zeros }, relevant: { pairs: 2, mean: rel }, nonrelevant: { pairs: 2, mean: non } } });
  const base = agg({});
  // Relevant A, non-relevant B: contrast [4,−4,0,0],[0,0,5,−2].
  const r = buildNeuronSets({ ...base, datasets: [g(A, B)] }, { selectors: [parseSelector('top-p:25'), parseSelector('abs-top-p:25')], from: 'contrast' });
  expect(names(r)).toEqual({ 'D/top-p:25': ['1.2=5', '0.0=4'], 'D/abs-top-p:25': ['1.2=5', '0.0=4'] });
  const r2 = buildNeuronSets({ ...base, datasets: [g(B, A)] }, { selectors: [parseSelector('top-p:25'), parseSelector('abs-top-p:25')], from: 'contrast' });
  // Reversed: [−4,4,0,0],[0,0,−5,2] — the signed rule takes 0.1 and 1.3, |value| still 1.2 and 0.0.
  expect(names(r2)).toEqual({ 'D/top-p:25': ['0.1=4', '1.3=2'], 'D/abs-top-p:25': ['1.2=-5', '0.0=-4'] });
  expect(formatNeuronReport(r)).toContain('attribution sets rank the mean over relevant − mean over non-relevant pairs');
  const noNon = { ...g(A, B), groups: { ...g(A, B).groups, nonrelevant: { pairs: 0, mean: zeros } } };
  expect(() => buildNeuronSets({ ...base, datasets: [noNon] }, { from: 'contrast' })).toThrow("dataset 'D' has no nonrelevant pairs");
});

test('the whole signed distribution of the ranked values, per layer, for each dataset, fusion and difference', () => {
  const r = buildNeuronSets(agg({ A, B }), { selectors: [parseSelector('top-p:25')], fuse: true, diff: ['B:A'] });
  expect(r.distributions.map((d) => [d.name, d.datasets])).toEqual([['A', ['A']], ['B', ['B']], ['fused', ['A', 'B']], ['B-minus-A', ['B', 'A']]]);
  // A layer 0 = [5, 1, 0, −1]; B − A layer 1 = [0, 0, −5, 2].
  expect(r.distributions[0]?.layers[0]).toMatchObject({ layer: 0, neurons: 4, min: -1, median: 0.5, max: 5, positive: 2, negative: 1, zero: 1, sumPositive: 6, sumNegative: -1 });
  expect(r.distributions[3]?.layers[1]).toMatchObject({ min: -5, max: 2, positive: 1, negative: 1, sumNegative: -5 });
  const text = formatNeuronReport(r);
  expect(text).toContain('A: mean over all pairs, per layer (all neurons; >0 / <0 count them, Σ>0 / Σ<0 add their values)\nlayer  neurons     min');
  expect(text).toMatch(/\n0\s+4\s+-1\.000\s+-0\.8500\s+-0\.2500\s+0\.5000\s+2\.000\s+4\.400\s+5\.000\s+2\s+1\s+6\.000\s+-1\.000\n/);
  // Only magnitude sets: no attribution values ranked, none summarized.
  expect(buildNeuronSets(agg({ A }), { selectors: [parseSelector('magnitude:25')] }).distributions).toEqual([]);
});
