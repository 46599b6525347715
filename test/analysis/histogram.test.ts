/** Per-layer counts of a neuron set and their text bars. */
import { formatHistogram, layerHistogram } from '../../src/analysis/histogram.js';

test('counts per layer, zero where none was selected', () => {
  const neurons = [[0, 1], [2, 5], [2, 6], [2, 0]].map(([layer, index]) => ({ layer: layer as number, index: index as number, value: 1 }));
  expect(layerHistogram({ name: 's', rule: 'r', kind: 'dataset', datasets: [], neurons }, 4)).toEqual([1, 0, 3, 0]);
});

test('bars scale to the largest count', () => {
  expect(formatHistogram([1, 0, 4], 8).split('\n')).toEqual(['layer 0 │██       1', 'layer 1 │         0', 'layer 2 │████████ 4']);
  expect(formatHistogram([3, 4], 2)).toBe('layer 0 │█▌ 3\nlayer 1 │██ 4');
});
