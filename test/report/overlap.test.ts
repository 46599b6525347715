/** Neuron-set figures: per-layer counts with intersections, and the Jaccard matrix. */
import type { NeuronSetInput } from '../../src/report/inputs.js';
import { distinctNames, jaccardData, jaccardSpec, overlapData, overlapSpec } from '../../src/report/overlap.js';
import { renderSvg } from '../../src/report/render.js';
import { svgTexts, xmlProblem } from './xml.js';

const set = (name: string, layers: number[][]): NeuronSetInput => ({ file: `${name}.json`, name, layers });
const A = set('rel', [[1, 2, 3], [7]]);
const B = set('nonrel', [[2, 3, 4], [], [0]]);
const C = set('mag', [[3, 9], [7]]);

/** count by "layer group". */
function counts(sets: NeuronSetInput[]): Record<string, number> {
  return Object.fromEntries(overlapData(sets).bars.map((b) => [`${b.layer} ${b.group}`, b.count]));
}

test('two sets: each set (keyed A, B) and their intersection per layer, over every layer', () => {
  expect(overlapData([A, B]).groups).toEqual(['A · rel', 'B · nonrel', 'A ∩ B']);
  expect(counts([A, B])).toEqual({ '0 A · rel': 3, '0 B · nonrel': 3, '0 A ∩ B': 2, '1 A · rel': 1, '1 B · nonrel': 0, '1 A ∩ B': 0, '2 A · rel': 0, '2 B · nonrel': 1, '2 A ∩ B': 0 });
});

test('three sets: pairwise and triple intersections', () => {
  const d = overlapData([A, B, C]);
  expect(d.groups).toEqual(['A · rel', 'B · nonrel', 'C · mag', 'A ∩ B', 'A ∩ C', 'B ∩ C', 'A ∩ B ∩ C']);
  const c = counts([A, B, C]);
  expect([c['0 A ∩ B'], c['0 A ∩ C'], c['0 B ∩ C'], c['0 A ∩ B ∩ C'], c['1 A ∩ C']]).toEqual([2, 1, 1, 1, 1]);
});

test('one set or four: a per-layer histogram without intersections', () => {
  expect(overlapData([A]).groups).toEqual(['rel']);
  expect(overlapData([A, B, C, set('x', [[1]])]).groups).toEqual(['A · rel', 'B · nonrel', 'C · mag', 'D · x']);
  expect(counts([A])).toEqual({ '0 rel': 3, '1 rel': 1 });
});

test('the spec holds the bars as data', () => {
  const spec = overlapSpec([A, B]) as unknown as { data: { values: Array<{ layer: number; group: string; count: number }> } };
  expect(spec.data.values).toContainEqual({ layer: 0, group: 'A ∩ B', count: 2 });
  expect(spec.data.values).toContainEqual({ layer: 2, group: 'B · nonrel', count: 1 });
  expect(spec.data.values).toHaveLength(9);
});

test('Jaccard over (layer, index) pairs, with intersection and union sizes', () => {
  const j = jaccardData([A, B, C]);
  const at = (r: string, c: string): [number, number, number] => {
    const x = j.find((y) => y.row === r && y.column === c);
    return [x?.jaccard ?? NaN, x?.intersection ?? NaN, x?.union ?? NaN];
  };
  expect(at('rel', 'rel')).toEqual([1, 4, 4]);
  expect(at('rel', 'nonrel')).toEqual([2 / 6, 2, 6]);
  expect(at('rel', 'mag')).toEqual([2 / 5, 2, 5]);
  expect(at('mag', 'nonrel')).toEqual([1 / 6, 1, 6]);
  expect(j.filter((c) => c.row === 'mag').map((c) => [c.rowLabel, c.columnKey])).toEqual([['C · mag', 'A'], ['C · mag', 'B'], ['C · mag', 'C']]);
  expect(jaccardData([set('E', []), set('F', [])]).map((c) => c.jaccard)).toEqual([1, 0, 0, 1]);
});

test('repeated names are told apart by file name, then by number', () => {
  const named = (name: string, file: string): NeuronSetInput => ({ file, name, layers: [] });
  expect(distinctNames([named('dl19/top-p:1', 'x/rel.json'), named('dl19/top-p:1', 'nonrel.json'), C])).toEqual(['dl19/top-p:1 (rel)', 'dl19/top-p:1 (nonrel)', 'mag']);
  expect(distinctNames([set('A', []), set('A', []), set('A', [])])).toEqual(['A (A)', 'A (A) (2)', 'A (A) (3)']);
});

test('rendered: legends, axis titles and cell labels', async () => {
  const overlap = await renderSvg(overlapSpec([A, B, C]));
  expect(xmlProblem(overlap)).toBeUndefined();
  const texts = svgTexts(overlap);
  for (const t of ['Layer', 'Neurons', 'A · rel', 'C · mag', 'A ∩ B ∩ C', 'B ∩ C']) expect(texts).toContain(t);
  // The subtitle: one line per set.
  expect(texts.find((t) => t.includes('A · rel: 4 neurons'))).toContain('C · mag: 3 neurons');

  const jaccard = await renderSvg(jaccardSpec([A, B, C]));
  expect(xmlProblem(jaccard)).toBeUndefined();
  const jt = svgTexts(jaccard);
  for (const t of ['Jaccard', 'A', 'B', 'C', 'A · rel', 'B · nonrel']) expect(jt).toContain(t);
  expect(jt).toContain('0.33 2/6');
  expect(jt).toContain('1.00 4/4');
});
