/** Overlap figures between neuron sets. */
import { overlap, overlaps } from '../../src/analysis/overlap.js';
import type { NeuronSet } from '../../src/analysis/neuron-sets.js';

const set = (name: string, keys: Array<[number, number]>): NeuronSet => ({ name, rule: 'top-p:1', kind: 'dataset', datasets: [], neurons: keys.map(([layer, index]) => ({ layer, index, value: 0 })) });

test('counts, intersection, union and Jaccard', () => {
  const a = set('a', [[0, 1], [0, 2], [1, 1]]);
  const b = set('b', [[0, 2], [1, 1], [2, 0], [2, 1]]);
  expect(overlap(a, b)).toEqual({ a: 'a', b: 'b', sizeA: 3, sizeB: 4, intersection: 2, union: 5, jaccard: 0.4 });
  // Same index in another layer is another neuron.
  expect(overlap(set('x', [[0, 1]]), set('y', [[1, 0]])).jaccard).toBe(0);
  expect(overlap(set('e', []), set('f', [])).jaccard).toBe(1);
});

test('every pair once, in input order', () => {
  const s = [set('a', [[0, 0]]), set('b', [[0, 0]]), set('c', [])];
  expect(overlaps(s).map((o) => `${o.a}|${o.b}|${o.jaccard}`)).toEqual(['a|b|1', 'a|c|0', 'b|c|0']);
});
