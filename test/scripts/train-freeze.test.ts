/**
 * --freeze and --freeze-rows of the training script on a toy shape, from a trained folder
 * (--init-from): a frozen parameter ends bit-identical to the start while the others move; pinned
 * word-embedding rows end bit-identical while every other non-zero row moves, on one thread and on
 * two (with a checkpoint every step the script compares the worker's weights checksum with its own
 * and stops on any difference, so the worker must put the same rows back). Bad names are errors.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../scripts/train-cross-encoder.js';
import type { TrainOptions } from '../../scripts/train-cross-encoder.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { toyTrainOptions } from '../helpers/train-toy.js';

let dir: string;
const EMB = 'bert.embeddings.word_embeddings.weight';
const FFN = 'bert.encoder.layer.0.intermediate.dense.weight';

const base = (name: string): TrainOptions => toyTrainOptions(dir, name);

async function tensors(name: string): Promise<Map<string, Float32Array>> {
  const st = await readSafetensors(join(dir, name, 'model.safetensors'));
  return new Map([...st.tensors].map(([n, t]) => [n, t.data as Float32Array]));
}

const HID = 16;
const row = (a: Float32Array, r: number): Float32Array => a.subarray(r * HID, (r + 1) * HID);
const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

let start: Map<string, Float32Array>;
let vocab: string[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-freeze-'));
  await train(base('start'));
  start = await tensors('start');
  vocab = (await readFile(join(dir, 'start', 'vocab.txt'), 'utf8')).split('\n');
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('--freeze: the named parameter ends bit-identical, the others move', async () => {
  await train({ ...base('frozen'), initFrom: join(dir, 'start'), freeze: [FFN] });
  const end = await tensors('frozen');
  expect(same(end.get(FFN) as Float32Array, start.get(FFN) as Float32Array)).toBe(true);
  expect(same(end.get(EMB) as Float32Array, start.get(EMB) as Float32Array)).toBe(false);
  expect(same(end.get('classifier.weight') as Float32Array, start.get('classifier.weight') as Float32Array)).toBe(false);
}, 300_000);

test('--freeze of a name the model does not have is an error naming it', async () => {
  await expect(train({ ...base('badname'), initFrom: join(dir, 'start'), freeze: ['bert.nope.weight'] })).rejects.toThrow(/--freeze bert\.nope\.weight: no such parameter/);
}, 300_000);

for (const threads of [1, 2]) {
  test(`--freeze-rows on ${threads} thread(s): the listed tokens' rows end bit-identical, every other non-zero row moves`, async () => {
    // Frequent tokens (in every batch: their gradients are non-zero) and a rare one.
    const tokens = ['[CLS]', '[SEP]', 'the', 'of', vocab[600] as string];
    const file = join(dir, `pinned-${threads}.txt`);
    await writeFile(file, `${tokens.join('\n')}\n`);
    const name = `rows-${threads}`;
    const o = { ...base(name), initFrom: join(dir, 'start'), threads, freezeRows: [`${EMB}=${file}`] };
    await train({ ...o, stopAfter: 2 });
    await train(o); // resumed: the pins hold across a restart too
    const a = start.get(EMB) as Float32Array;
    const b = (await tensors(name)).get(EMB) as Float32Array;
    const pinned = new Set(tokens.map((t) => vocab.indexOf(t)));
    expect(pinned.has(-1)).toBe(false);
    for (let r = 0; r < a.length / HID; r++) {
      if (pinned.has(r)) expect(same(row(b, r), row(a, r))).toBe(true);
      else if (row(a, r).some((x) => x !== 0)) expect(same(row(b, r), row(a, r))).toBe(false);
    }
  }, 300_000);
}

test('--freeze-rows: a token not in the vocabulary names file and line; a spec without = is refused', async () => {
  const file = join(dir, 'bad.txt');
  await writeFile(file, 'the\nqqqqzzzz\n');
  await expect(train({ ...base('badrows'), initFrom: join(dir, 'start'), freezeRows: [`${EMB}=${file}`] })).rejects.toThrow(`${file}:2: token "qqqqzzzz" is not in the model's vocab.txt`);
  await expect(train({ ...base('badspec'), initFrom: join(dir, 'start'), freezeRows: [EMB] })).rejects.toThrow(/want NAME=FILE/);
}, 300_000);

test('--freeze holds for masked-language-model pre-training too, on 2 threads (the MLM loss once ignored it)', async () => {
  await train({ ...base('mlm-frozen'), initFrom: join(dir, 'start'), objective: 'mlm', threads: 2, freeze: [FFN] });
  const end = await tensors('mlm-frozen');
  expect(same(end.get(FFN) as Float32Array, start.get(FFN) as Float32Array)).toBe(true);
  expect(same(end.get(EMB) as Float32Array, start.get(EMB) as Float32Array)).toBe(false);
}, 300_000);
