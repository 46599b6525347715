/** The demo's neuron choice (src/analysis/layer-neurons.ts), on hand-made attributions. */
import { layerNeuronMask, pickLayerNeurons } from '../../src/analysis/layer-neurons.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import type { SiteName } from '../../src/model/sites.js';
import { mulberry32, sampleIndices } from '../../src/util/random.js';

/** A result holding only per-neuron sums at layer.{l}.ffn.pre. */
function result(layers: number[][]): PairAttribution {
  const sum = new Map<SiteName, Float32Array>(layers.map((v, l) => [`layer.${l}.ffn.pre` as SiteName, Float32Array.from(v)]));
  return { segments: { length: 5, cls: 0, query: [1, 2], sep1: 2, passage: [3, 4], sep2: 4 }, sum, bySegment: new Map(), targetInput: 0, targetBaseline: 0, completeness: new Float64Array(layers.length), completenessRelative: new Float64Array(layers.length) };
}

const widths = [4, 3];
const results = [
  result([[1, 4, -2, 4], [0.5, 0, 3]]),
  result([[3, 0, 2, 0], [0.5, 6, -3]]),
  result([[100, 100, 100, -100], [9, 9, 9]]),
];

test('means over the included pairs, top by mean (ties: lower index), a seeded random control per layer', () => {
  const p = pickLayerNeurons(results, widths, { top: 2, seed: 7, include: [true, true, false] });
  expect(p.count).toBe(2);
  // Each mean is Σ v / count accumulated in float32, as the demo printed it.
  expect(Array.from(p.means[0] as Float32Array)).toEqual([2, 2, 0, 2]);
  expect(Array.from(p.means[1] as Float32Array)).toEqual([0.5, 3, 0]);
  expect(p.top).toEqual([[0, 1], [1, 0]]);
  // The control: one generator for all layers, as many neurons as the top of that layer.
  const rng = mulberry32(7);
  expect(p.random).toEqual([sampleIndices(rng, 4, 2), sampleIndices(rng, 3, 2)]);
  expect(p.random.every((r) => r.length === 2 && new Set(r).size === 2)).toBe(true);
});

test('every pair by default; top capped at the layer width; masks as mask JSON', () => {
  const p = pickLayerNeurons(results, widths, { top: 4 });
  expect(p.count).toBe(3);
  expect(p.top.map((t) => t.length)).toEqual([4, 3]);
  expect(p.top[0]?.[0]).toBe(0); // (1 + 3 + 100) / 3 is the largest mean of layer 0
  expect(p.random).toEqual([[0, 1, 2, 3], [0, 1, 2]]);
  expect(layerNeuronMask(p.top)).toEqual({ 'layer.0.ffn': p.top[0], 'layer.1.ffn': p.top[1] });
  expect(pickLayerNeurons(results, widths, { top: 2 })).toEqual(pickLayerNeurons(results, widths, { top: 2, seed: 1 }));
});

test('refuses a bad top, mismatched flags and results without the site', () => {
  expect(() => pickLayerNeurons(results, widths, { top: 1.5 })).toThrow(/top must be an integer/);
  expect(() => pickLayerNeurons(results, widths, { top: 1, include: [true] })).toThrow(/3 results/);
  expect(() => pickLayerNeurons(results, [4, 3, 2], { top: 1 })).toThrow(/layer\.2\.ffn\.pre/);
  expect(() => pickLayerNeurons(results, widths, { top: 1, site: 'ffn.post' })).toThrow(/layer\.0\.ffn\.post/);
});
