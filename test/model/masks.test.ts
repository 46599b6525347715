/** One parser of mask JSON: --mask (against the model) and the report's neuron sets (no model) read it alike. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SiteError } from '../../src/errors.js';
import { parseMaskJson, readMasks } from '../../src/model/masks.js';
import { readNeuronSetInput } from '../../src/report/inputs.js';
import { parseConfig } from '../../src/weights/config.js';

const config = parseConfig({ hidden_size: 4, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 3 });
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-masks-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

test('entries: layer, units, distinct sorted indices; bounded by the model only when there is one', () => {
  const raw = { 'layer.1.ffn': [2, 0, 2], 'layer.0.attn.heads': [1], 'layer.0.ffn.pre': [7] };
  expect(parseMaskJson(raw)).toEqual([
    { target: 'layer.1.ffn', layer: 1, unit: 'neurons', indices: [0, 2] },
    { target: 'layer.0.attn.heads', layer: 0, unit: 'heads', indices: [1] },
    { target: 'layer.0.ffn.pre', layer: 0, unit: 'neurons', indices: [7] },
  ]);
  expect(() => parseMaskJson(raw, { file: 'm.json', config })).toThrow(new SiteError("'layer.0.ffn.pre': index 7 is out of range 0…2", { file: 'm.json' }));
  expect(() => parseMaskJson({ 'layer.0.attn.heads': [-1] }, { file: 'm.json' })).toThrow("m.json: 'layer.0.attn.heads': -1 is not a head index");
});

test('read from a file, errors name the line of the entry, for --mask and for a report alike', async () => {
  const file = join(dir, 'mask.json');
  await writeFile(file, '{\n  "layer.0.ffn": [0, 1],\n  "layer.1.ffn": [1, 3]\n}\n');
  await expect(readMasks(file, config)).rejects.toThrow(`${file}:3: 'layer.1.ffn': index 3 is out of range 0…2`);
  expect((await readNeuronSetInput(file)).layers).toEqual([[0, 1], [1, 3]]);
  await writeFile(file, '{\n  "layer.0.ffn": [0, 1],\n  "layer.1.ffn": "all"\n}\n');
  await expect(readMasks(file, config)).rejects.toThrow(`${file}:3: 'layer.1.ffn' must be a list of neuron indices`);
  await expect(readNeuronSetInput(file)).rejects.toThrow(`${file}:3: 'layer.1.ffn' must be a list of neuron indices`);
  await writeFile(file, '{\n  "layer.0.ffn": [0, 1],\n}\n');
  await expect(readMasks(file, config)).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not valid JSON \\(column 1: `));
});
