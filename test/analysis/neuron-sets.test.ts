/** Selection rules, rounding, ties, set algebra and mask JSON, with hand-worked answers. */
import path from 'node:path';
import { averageValues, formatSelector, intersectSets, neuronSetToMask, parseSelector, selectNeurons, subtractValues, topPercentCount } from '../../src/analysis/neuron-sets.js';
import type { Neuron, NeuronSet } from '../../src/analysis/neuron-sets.js';
import { masksToJson, parseMasks } from '../../src/model/masks.js';
import { readConfig } from '../../src/weights/config.js';

// 3 layers × 4 neurons; 3 appears twice (L0#2, L1#1) to test the tie-break.
const V = [new Float64Array([0.5, -2, 3, 0]), new Float64Array([1, 3, -0.5, 2]), new Float64Array([0, -1, 4, 0.25])];
const at = (ns: Neuron[]): string[] => ns.map((n) => `${n.layer}.${n.index}=${n.value}`);

test('top-p% counts round up: ⌈p/100 · N⌉', () => {
  expect(topPercentCount(192, 1)).toBe(2); // 1% of 3×64 = 1.92
  expect(topPercentCount(300, 1)).toBe(3);
  expect(topPercentCount(36864, 1)).toBe(369); // BERT-base FFN: 368.64
  expect(topPercentCount(100, 0.5)).toBe(1);
  expect(topPercentCount(12, 10)).toBe(2);
  expect(topPercentCount(10, 100)).toBe(10);
});

test('global rules rank all layers together; ties go to the lower (layer, index)', () => {
  expect(at(selectNeurons(V, parseSelector('top-p:10')))).toEqual(['2.2=4', '0.2=3']);
  expect(at(selectNeurons(V, parseSelector('top-p:25')))).toEqual(['2.2=4', '0.2=3', '1.1=3']);
  expect(at(selectNeurons(V, parseSelector('bottom-p:20')))).toEqual(['0.1=-2', '2.1=-1', '1.2=-0.5']);
  expect(at(selectNeurons(V, parseSelector('abs-top-p:30')))).toEqual(['2.2=4', '0.2=3', '1.1=3', '0.1=-2']);
  expect(selectNeurons(V, parseSelector('top-p:100'))).toHaveLength(12);
});

test('per-layer rules keep k in every layer (fewer when a layer is narrower)', () => {
  expect(at(selectNeurons(V, parseSelector('top-k:1')))).toEqual(['0.2=3', '1.1=3', '2.2=4']);
  expect(at(selectNeurons(V, parseSelector('bottom-k:2')))).toEqual(['0.1=-2', '0.3=0', '1.2=-0.5', '1.0=1', '2.1=-1', '2.0=0']);
  expect(selectNeurons([new Float64Array([1, 2]), new Float64Array(0)], parseSelector('top-k:5'))).toHaveLength(2);
});

test('selectors parse and print back; malformed ones are refused', () => {
  for (const s of ['top-p:1', 'bottom-p:0.5', 'abs-top-p:2', 'top-k:10', 'bottom-k:3', 'magnitude:1']) expect(formatSelector(parseSelector(s))).toBe(s);
  for (const s of ['top-p:0', 'top-p:101', 'top-k:1.5', 'top-k:0', 'best:1', 'top-p']) expect(() => parseSelector(s)).toThrow(`selection '${s}' is not one of`);
});

test('average and difference work layer by layer', () => {
  const a = [new Float64Array([1, 2]), new Float64Array([3])];
  const b = [new Float64Array([3, 0]), new Float64Array([-1])];
  expect(averageValues([a, b]).map((x) => Array.from(x))).toEqual([[2, 1], [1]]);
  expect(subtractValues(a, b).map((x) => Array.from(x))).toEqual([[-2, 2], [4]]);
});

test('intersection keeps the first set\'s order and the mean of the values', () => {
  const set = (name: string, ns: Array<[number, number, number]>): NeuronSet => ({ name, rule: 'top-p:1', kind: 'dataset', datasets: [name], neurons: ns.map(([layer, index, value]) => ({ layer, index, value })) });
  const x = intersectSets([set('a', [[0, 1, 5], [1, 2, 4], [2, 0, 3]]), set('b', [[2, 0, 1], [0, 1, 3], [1, 3, 9]])], 'intersect/top-p:1');
  expect(x).toEqual({
    name: 'intersect/top-p:1',
    rule: 'top-p:1',
    kind: 'intersect',
    datasets: ['a', 'b'],
    neurons: [
      { layer: 0, index: 1, value: 4, values: { a: 5, b: 3 } },
      { layer: 2, index: 0, value: 2, values: { a: 3, b: 1 } },
    ],
  });
});

test('mask JSON lists sorted FFN indices per layer and round-trips through parseMasks', async () => {
  const config = await readConfig(path.resolve(process.cwd(), '../shared/fixtures/tiny-bert-ce/config.json'));
  const values = Array.from({ length: config.numLayers }, (_v, l) => Float64Array.from({ length: config.intermediateSizes[l] as number }, (_w, i) => Math.sin(17 * l + i)));
  for (const rule of ['top-p:1', 'top-k:3', 'bottom-p:5']) {
    const set: NeuronSet = { name: rule, rule, kind: 'dataset', datasets: [], neurons: selectNeurons(values, parseSelector(rule)) };
    const mask = neuronSetToMask(set, 'ffn.pre');
    for (const list of Object.values(mask)) expect(list).toEqual([...list].sort((a, b) => a - b));
    expect(masksToJson(parseMasks(JSON.parse(JSON.stringify(mask)), config))).toEqual(mask);
    expect(Object.values(mask).flat()).toHaveLength(set.neurons.length);
  }
  const two: NeuronSet = { name: 's', rule: 'r', kind: 'dataset', datasets: [], neurons: [{ layer: 2, index: 9, value: 1 }, { layer: 0, index: 7, value: 1 }, { layer: 2, index: 3, value: 1 }] };
  expect(neuronSetToMask(two, 'ffn.post')).toEqual({ 'layer.0.ffn': [7], 'layer.2.ffn': [3, 9] });
  expect(() => neuronSetToMask(two, 'out')).toThrow('mask JSON holds FFN neurons; site out has no mask target');
});
