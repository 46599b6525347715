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
    await expect(readMagnitudes(file, [2])).rejects.toThrow(`${file}: not valid JSON`);
    await expect(readMagnitudes(path.join(tmp, 'none.json'), [2])).rejects.toThrow('cannot read (ENOENT)');
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
});
