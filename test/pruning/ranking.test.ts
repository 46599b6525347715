/** The unit-scores format: reader, validator (SiteError naming file and layer), writer. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SiteError } from '../../src/errors.js';
import { parseConfig } from '../../src/weights/config.js';
import { parseUnitScores, readUnitScores, scoresFingerprint, writeUnitScores } from '../../src/pruning/ranking.js';

const config = parseConfig({ model_type: 'bert', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 3, vocab_size: 10 });

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-ranking-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('round trip through a file; site decides the unit', async () => {
  const file = path.join(tmp, 'r.json');
  await writeUnitScores(file, { site: 'layer.{l}.ffn.pre', statistic: 'mean-nig', pairs: 9, values: [Float64Array.from([1, -2, 0.5]), Float64Array.from([0, 0, 3])] });
  const r = await readUnitScores(file, config);
  expect(r.unit).toBe('neurons');
  expect(r.statistic).toBe('mean-nig');
  expect(r.pairs).toBe(9);
  expect(Array.from(r.values[0] as Float64Array)).toEqual([1, -2, 0.5]);
  const h = parseUnitScores({ site: 'layer.{l}.attn.heads', values: { 'layer.0': [1, 2], 'layer.1': [3, 4] } }, config);
  expect(h.unit).toBe('heads');
  expect(scoresFingerprint(r)).toHaveLength(16);
  expect(scoresFingerprint(h)).not.toBe(scoresFingerprint(r));
});

test('the flat form of analysis/magnitudes.ts is read too', () => {
  const flat = { 'layer.0': [0.1, 0.2, 0.3], 'layer.1': [1, 2, 3], celens: 'activations', site: 'ffn.post', statistic: 'mean-abs', pairs: 4 };
  const m = parseUnitScores(flat, config, 'm.json');
  expect(m).toMatchObject({ site: 'layer.{l}.ffn.post', unit: 'neurons', statistic: 'mean-abs', pairs: 4 });
  expect(Array.from(m.values[1] as Float64Array)).toEqual([1, 2, 3]);
  expect(parseUnitScores({ 'layer.0': [1, 2], 'layer.1': [3, 4], site: 'attn.heads' }, config).unit).toBe('heads');
  expect(parseUnitScores({ 'layer.0': [1, 2, 3], 'layer.1': [3, 4, 5] }, config).site).toBe('layer.{l}.ffn.post');
  expect(() => parseUnitScores({ 'layer.0': [1, 2, 3] }, config, 'm.json')).toThrow("m.json: values lacks 'layer.1'");
});

test.each([
  [{ values: {} }, /"site" must be one of/],
  [{ site: 'layer.{l}.out', values: {} }, /"site" must be one of/],
  [{ site: 'layer.{l}.ffn.pre', values: [] }, /"values" must be an object/],
  [{ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1, 2, 3] } }, /lacks 'layer.1'/],
  [{ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1, 2, 3], 'layer.1': [1, 2] } }, /'layer.1' has 2 values, the model's layer 1 has 3 neurons/],
  [{ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1, 2, 3], 'layer.1': [1, null, 2] } }, /'layer.1'\[1\] is not a finite number/],
  [{ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1, 2, 3], 'layer.1': [1, 2, 3], 'layer.2': [] } }, /x.json: values key 'layer.2': layer 2 does not exist \(the model has layers 0…1\)/],
  [{ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1, 2, 3], 'layer.1': [1, 2, 3], 'layer.1.ffn': [] } }, /unknown values key 'layer.1.ffn' \(keys: layer.\{l\}\)/],
  [[1, 2], /expected a JSON object/],
])('invalid scores are a SiteError naming the place: %j', (raw, msg) => {
  expect(() => parseUnitScores(raw, config, 'x.json')).toThrow(SiteError);
  expect(() => parseUnitScores(raw, config, 'x.json')).toThrow(msg);
});

test('unreadable and malformed files', async () => {
  await expect(readUnitScores(path.join(tmp, 'none.json'), config)).rejects.toThrow(/none.json: cannot read \(ENOENT\)/);
  const bad = path.join(tmp, 'bad.json');
  await writeFile(bad, '{');
  await expect(readUnitScores(bad, config)).rejects.toThrow(/bad.json:1: not valid JSON \(column 2: /);
});
