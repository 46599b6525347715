/** The ffn-means cache file and the reference sample; the sweep journal's reader. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CelensError } from '../../src/errors.js';
import { readSweep, SweepJournal } from '../../src/pruning/journal.js';
import type { SweepHeader } from '../../src/pruning/journal.js';
import { magnitudeScores, readFfnMeans, referenceSample, writeFfnMeans } from '../../src/pruning/means.js';
import { parseUnitScores } from '../../src/pruning/ranking.js';
import { parseConfig } from '../../src/weights/config.js';

const config = parseConfig({ model_type: 'bert', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 3, vocab_size: 10 });

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-means-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('reference sample: evenly spread, all when fewer', () => {
  expect(referenceSample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([0, 3, 6]);
  expect(referenceSample([1, 2], 5)).toEqual([1, 2]);
});

test('means round trip; mean_abs is a magnitude file on its own; bad files', async () => {
  const file = path.join(tmp, 'm.json');
  const m = { mean: [Float32Array.from([0.5, -1, 0]), Float32Array.from([1, 2, 3])], meanAbs: [Float32Array.from([0.5, 1, 0]), Float32Array.from([1, 2, 3])], pairs: 4, tokens: 40, reference: '4:abc' };
  await writeFfnMeans(file, m, 'model-dir');
  expect(await readFfnMeans(file, config)).toEqual(m);
  const raw = JSON.parse(await readFile(file, 'utf8')) as { mean_abs: unknown };
  expect(Array.from(parseUnitScores(raw.mean_abs, config).values[0] as Float64Array)).toEqual([0.5, 1, 0]);
  expect(Array.from(magnitudeScores(m).values[1] as Float64Array)).toEqual([1, 2, 3]);
  expect(await readFfnMeans(path.join(tmp, 'none.json'), config)).toBeUndefined();
  await writeFile(path.join(tmp, 'bad.json'), '{"celens":"other"}');
  await expect(readFfnMeans(path.join(tmp, 'bad.json'), config)).rejects.toThrow(CelensError);
  await expect(readFfnMeans(path.join(tmp, 'bad.json'), config)).rejects.toThrow(/bad.json: not a celens ffn-means file/);
});

test('sweep journal: header once, torn line cut, other files and version 1 refused', async () => {
  const file = path.join(tmp, 's.jsonl');
  const header: SweepHeader = { celens: 'prune', version: 2, model: 'm', collection: 'c', queries: 1, pairs: 2, options: { a: 1 }, qids: ['q1'] };
  const row = { cell: 'x', strategy: 'top', unit: 'neurons', ablation: 'zero', budget: 0.1, n: 1, counts_per_layer: [1, 0], metrics: { 'nDCG@10': 0.5 }, mean_abs_delta: 0.1, ties_top10: 0 };
  const a = await SweepJournal.open(file, header);
  await a.journal.write({ ...row, ties_top10: 0, cell: 'x' });
  await a.journal.close();
  await writeFile(file, `${await readFile(file, 'utf8')}{"cell":"y",`);
  const b = await SweepJournal.open(file, { ...header, model: 'elsewhere' }); // the model path may move
  expect([...b.done.keys()]).toEqual(['x']);
  await b.journal.close();
  expect((await readFile(file, 'utf8')).split('\n')).toHaveLength(3);
  await expect(SweepJournal.open(file, { ...header, options: { a: 2 } })).rejects.toThrow(/a sweep with other settings is here/);
  // A version 1 journal (no per-query values): read, but not resumed, and the message says why.
  const v1 = path.join(tmp, 'v1.jsonl');
  await writeFile(v1, `${JSON.stringify({ ...header, version: 1, qids: undefined })}\n${JSON.stringify(row)}\n`);
  expect((await readSweep(v1))?.rows).toEqual([row]);
  await expect(SweepJournal.open(v1, header)).rejects.toThrow(`${v1}: a sweep of journal version 1 is here, written before prune's paired tests: its rows lack the per-query values`);
  await writeFile(path.join(tmp, 'o.jsonl'), '{"celens":"attribute"}\n');
  await expect(readSweep(path.join(tmp, 'o.jsonl'))).rejects.toThrow(/o.jsonl:1: not a celens prune sweep/);
});
