/** The activation-magnitude input of the `magnitude:P` selector. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseMagnitudes, readMagnitudes } from '../../src/analysis/magnitudes.js';

test('layer.{l} keys are data, other keys metadata', () => {
  const m = parseMagnitudes({ 'layer.0': [1, 0.5], 'layer.1': [0, 2], site: 'ffn.post', pairs: 10 }, [2, 2], 'm.json');
  expect(m.values.map((a) => Array.from(a))).toEqual([[1, 0.5], [0, 2]]);
  expect(m.meta).toEqual({ site: 'ffn.post', pairs: 10 });
});

test('wrong widths, missing or extra layers and bad numbers are errors naming the file', () => {
  expect(() => parseMagnitudes([1, 2], [2], 'm.json')).toThrow('m.json: activation magnitudes are a JSON object');
  expect(() => parseMagnitudes({ 'layer.0': [1] }, [2], 'm.json')).toThrow("m.json: 'layer.0' must be a list of 2 numbers, one per neuron (found 1)");
  expect(() => parseMagnitudes({ 'layer.0': [1, 2] }, [2, 2], 'm.json')).toThrow('m.json: no values for layer.1');
  expect(() => parseMagnitudes({ 'layer.0': [1, 2], 'layer.3': [1] }, [2], 'm.json')).toThrow("m.json: 'layer.3': the attribution records have no layer 3");
  expect(() => parseMagnitudes({ 'layer.0': [1, -2] }, [2], 'm.json')).toThrow("m.json: 'layer.0'[1] is -2, not a mean |activation| (finite, >= 0)");
});

test('read from a file; unreadable or non-JSON files are errors', async () => {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-mag-'));
  try {
    const file = path.join(tmp, 'm.json');
    await writeFile(file, JSON.stringify({ 'layer.0': [3, 1] }));
    expect(Array.from((await readMagnitudes(file, [2])).values[0] ?? [])).toEqual([3, 1]);
    await writeFile(file, '{');
    await expect(readMagnitudes(file, [2])).rejects.toThrow(`${file}:1: not valid JSON (column 2: `);
    await expect(readMagnitudes(path.join(tmp, 'none.json'), [2])).rejects.toThrow('cannot read (ENOENT)');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});

test("prune's means file (OUT.means.json) and a unit-scores document are read as their mean |activation|", () => {
  const doc = (statistic: string, a: number[], b: number[]): Record<string, unknown> => ({ site: 'layer.{l}.ffn.post', statistic, pairs: 8, values: { 'layer.0': a, 'layer.1': b } });
  // The layout writeFfnMeans (src/pruning/means.ts) writes: the mean must not be taken for the mean |activation|.
  const means = { celens: 'ffn-means', model: 'm', reference: '8:abc', tokens: 99, mean: doc('mean', [-1, 0.5], [0, -2]), mean_abs: doc('mean-abs', [1, 0.5], [0.25, 2]) };
  const m = parseMagnitudes(means, [2, 2], 'sweep.jsonl.means.json');
  expect(m.values.map((a) => Array.from(a))).toEqual([[1, 0.5], [0.25, 2]]);
  expect(m.meta).toMatchObject({ celens: 'activations', model: 'm', reference: '8:abc', statistic: 'mean-abs', pairs: 8 });
  expect(parseMagnitudes(doc('mean-abs', [3, 1], [0, 0]), [2, 2], 'u.json').values.map((a) => Array.from(a))).toEqual([[3, 1], [0, 0]]);
  expect(() => parseMagnitudes({ celens: 'ffn-means', mean: doc('mean', [1, 1], [1, 1]) }, [2, 2], 'x.json')).toThrow('x.json: a celens ffn-means file without its mean_abs document');
});
