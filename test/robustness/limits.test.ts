/**
 * Inputs at the limits: empty query or passage, a 10,000-word passage, non-ASCII and control
 * characters, CRLF pair files, a 1-layer model with a 2-label head; and no leaks — tf tensor
 * counts flat and RSS bounded over 1,000 attributions and over a whole pruning sweep.
 * Models: the shared tiny-bert-ce fixture (3 layers) and a 1-layer random `tiny` model made here.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { attribute, attributeStream } from '../../src/attribution/attribute.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import { loadCollection } from '../../src/ir/detect.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { scoreEncoded } from '../../src/model/score.js';
import { runSweep } from '../../src/pruning/sweep.js';
import { loadTokenizer, readPairsTsv } from '../../src/tokenize/tokenizer.js';
import type { PairEncoding, PairTokenizer } from '../../src/tokenize/tokenizer.js';
import { makeRandomModel } from '../../scripts/make-random-model.js';

const SHARED = join(process.cwd(), '../shared');
const FIXTURE = join(SHARED, 'fixtures/tiny-bert-ce');
const MINILM = join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');

let tmp: string;
let fixture: LoadedModel;
let oneLayer: LoadedModel;
let tok: PairTokenizer;
beforeAll(async () => {
  await selectBackend('wasm');
  tmp = await mkdtemp(join(tmpdir(), 'celens-limits-'));
  fixture = await loadModel(FIXTURE);
  const made = await makeRandomModel({ out: join(tmp, 'one-layer'), preset: 'tiny', layers: 1, labels: 2, seed: 7, vocab: MINILM, initializerRange: 0.2 });
  oneLayer = await loadModel(made.dir);
  tok = await loadTokenizer(MINILM, { maxPositionEmbeddings: 128 });
});
afterAll(async () => {
  disposeModel(fixture);
  disposeModel(oneLayer);
  await rm(tmp, { recursive: true, force: true });
});

const EDGE: Array<[string, string]> = [
  ['', 'a flea can live up to a year'],
  ['how long do fleas live', ''],
  ['', ''],
  ['caf\u00e9 na\u00efve \u4e2d\u6587 \u0000\u0007\u001b', 'tab\u000bvertical \u200b zero width \u{1F600} \u202eright-to-left'],
  ['   ', '\t \u00a0'],
];

function expectFinite(r: PairAttribution | undefined): void {
  expect(r).toBeDefined();
  for (const v of r?.sum.values() ?? []) expect(v.every(Number.isFinite)).toBe(true);
  for (const v of r?.bySegment.values() ?? []) expect(v.every(Number.isFinite)).toBe(true);
  expect(Number.isFinite(r?.targetInput) && Number.isFinite(r?.targetBaseline)).toBe(true);
}

test('empty queries and passages, control and non-ASCII characters: encoded, scored and attributed', async () => {
  const before = tf.memory().numTensors;
  const encs = await tok.encodePairs(EDGE);
  // An empty side is still a segment: [CLS] [SEP] p [SEP], [CLS] q [SEP] [SEP], [CLS] [SEP] [SEP].
  expect(encs[2]?.inputIds).toEqual([tok.clsId, tok.sepId, tok.sepId]);
  expect(encs[2]?.tokenTypeIds).toEqual([0, 0, 1]);
  const scores = await scoreEncoded(fixture, encs);
  expect(scores.flat().every(Number.isFinite)).toBe(true);
  const res = await attribute(fixture, encs, { steps: 4 });
  res.forEach(expectFinite);
  // padq on an empty query: the baseline is the input, so every attribution is exactly zero.
  for (const i of [0, 2]) {
    expect(res[i]?.targetBaseline).toBe(res[i]?.targetInput);
    for (const v of res[i]?.sum.values() ?? []) expect(Math.max(...v.map(Math.abs))).toBe(0);
  }
  expect(tf.memory().numTensors).toBe(before);
});

test('a 10,000-word passage is truncated to the model length and still attributed', async () => {
  const file = join(tmp, 'long.tsv');
  await writeFile(file, `what is a flea\t${'the flea jumps over dogs '.repeat(2000)}\n`);
  const pairs = await readPairsTsv(file);
  expect(pairs[0]?.[1].split(' ').filter(Boolean)).toHaveLength(10000);
  const [enc] = await tok.encodePairs(pairs);
  expect(enc?.inputIds).toHaveLength(128); // min(512, max_position_embeddings 128)
  expect(enc?.tokenTypeIds.indexOf(1)).toBe(6); // the query is whole: [CLS] what is a flea [SEP]
  expect((await scoreEncoded(fixture, [enc as PairEncoding]))[0]?.every(Number.isFinite)).toBe(true);
  expectFinite((await attribute(fixture, [enc as PairEncoding], { steps: 2 }))[0]);
});

test('a CRLF pairs file reads as the LF one', async () => {
  const lines = EDGE.filter(([q, p]) => !/[\t\n\r]/.test(q + p)).map(([q, p]) => `${q}\t${p}`);
  await writeFile(join(tmp, 'lf.tsv'), `${lines.join('\n')}\n`);
  await writeFile(join(tmp, 'crlf.tsv'), `${lines.join('\r\n')}\r\n`);
  const lf = await readPairsTsv(join(tmp, 'lf.tsv'));
  expect(await readPairsTsv(join(tmp, 'crlf.tsv'))).toEqual(lf);
  expect(lf).toHaveLength(lines.length);
});

test('a 1-layer model with a 2-label head scores two logits and attributes class 1', async () => {
  expect(oneLayer.config.numLayers).toBe(1);
  expect(oneLayer.config.numLabels).toBe(2);
  const encs = await tok.encodePairs(EDGE);
  const scores = await scoreEncoded(oneLayer, encs);
  expect(scores.every((row) => row.length === 2 && row.every(Number.isFinite))).toBe(true);
  const res = await attribute(oneLayer, encs, { steps: 4, target: 'class:1' });
  res.forEach(expectFinite);
  expect([...(res[1]?.sum.keys() ?? [])]).toEqual(['layer.0.ffn.pre']);
  expect(res[1]?.completeness).toHaveLength(1);
});

// A full GC before each RSS reading, so that garbage not yet collected does not read as a leak.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const rssMb = (): number => {
  gc();
  return process.memoryUsage.rss() / 2 ** 20;
};

test('1,000 attributions: tensor count flat, RSS bounded', async () => {
  const texts = Array.from({ length: 1000 }, (_v, i): [string, string] => [`query ${i % 7}`, `passage number ${i} about fleas`.repeat(1 + (i % 3))]);
  const encs = await tok.encodePairs(texts);
  const before = tf.memory().numTensors;
  let warm = 0;
  let peak = 0;
  let n = 0;
  for await (const r of attributeStream(oneLayer, encs, { steps: 2, chunk: 2, pairsPerBatch: 1 })) {
    expect(tf.memory().numTensors).toBe(before);
    if (++n === 100) warm = rssMb();
    if (n > 100 && n % 100 === 0) peak = Math.max(peak, rssMb());
    expect(r.result.targetInput).not.toBeNaN();
  }
  expect(n).toBe(1000);
  expect(tf.memory().numTensors).toBe(before);
  // After warm-up a leak of one small tensor per pair would show; allow for allocator slack.
  expect(peak - warm).toBeLessThan(32);
  process.stdout.write(`limits: 1,000 attributions: ${before} tensors throughout, RSS ${warm.toFixed(0)} MB at 100, peak ${peak.toFixed(0)} MB after\n`);
});

test('a whole pruning sweep: tensor count flat across cells, RSS bounded', async () => {
  const dl20 = await loadCollection(join(SHARED, 'data/trec-dl-2020-passage'));
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const rss: number[] = [];
  const r = await runSweep(fixture, tok, dl20, {
    strategies: ['random'],
    budgets: ['1%', '5%', '10%', '20%', '50%'],
    seeds: 6,
    topK: 10,
    maxQueries: 3,
    batchSize: 8,
    onCell: () => {
      counts.push(tf.memory().numTensors);
      rss.push(rssMb());
    },
  });
  expect(r.complete).toBe(true);
  expect(counts.length).toBe(33); // 3 baselines, 30 cells
  expect(new Set(counts.slice(1)).size).toBe(1);
  expect(tf.memory().numTensors).toBe(before);
  expect(Math.max(...rss.slice(5)) - (rss[4] as number)).toBeLessThan(32);
  process.stdout.write(`limits: sweep of 33 rows: ${counts[1]} tensors in every cell, ${before} after; RSS ${rss[4]?.toFixed(0)} MB at row 5, peak ${Math.max(...rss.slice(5)).toFixed(0)} MB after\n`);
});

test('pairs files: an optional third column holds an integer grade; anything else names file:line', async () => {
  const { readGradedPairsTsv } = await import('../../src/tokenize/tokenizer.js');
  const f = join(tmp, 'graded.tsv');
  await writeFile(f, 'q1\tp1\t2\nq2\tp2\n');
  expect(await readGradedPairsTsv(f)).toEqual({ pairs: [['q1', 'p1'], ['q2', 'p2']], grades: [2, undefined] });
  expect(await readPairsTsv(f)).toEqual([['q1', 'p1'], ['q2', 'p2']]);
  await writeFile(f, 'q1\tp1\tyes\n');
  await expect(readGradedPairsTsv(f)).rejects.toThrow(`${f}:1: the grade must be a non-negative integer, found 'yes'`);
  await writeFile(f, 'q1\tp1\t1\tx\n');
  await expect(readPairsTsv(f)).rejects.toThrow(`${f}:1: expected query<TAB>passage[<TAB>grade], found 3 tabs`);
});
