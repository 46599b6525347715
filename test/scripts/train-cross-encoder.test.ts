/**
 * The training script on a toy shape: it writes a loadable HF model folder, and a run stopped
 * half-way then resumed from its checkpoint ends with byte-identical weights to one run straight
 * through (the data at a step and the AdamW state are both restored exactly), on one thread and on
 * two. Two threads differ from one only by float summation order. (With --threads 2 and
 * checkpointEvery 1 the script also compares the worker's weights checksum with its own every
 * step and throws on any difference, so these runs check the copies stay identical.)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { learningRate, train } from '../../scripts/train-cross-encoder.js';
import { combineShares, lossAndGrads, shareSizes } from '../../src/training/step.js';
import { trainableBert } from '../../src/training/trainable.js';
import { parseConfig } from '../../src/weights/config.js';
import { configJson, randomStateDict } from '../../scripts/make-random-model.js';
import type { ModelShape } from '../../scripts/make-random-model.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import type { TrainOptions } from '../../scripts/train-cross-encoder.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import { bertForward } from '../../src/model/bert.js';
import { toyTrainOptions } from '../helpers/train-toy.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = (name: string): TrainOptions => toyTrainOptions(dir, name, { steps: 4, warmup: 2 });

test('learning rate: linear warm-up to the peak, linear decay to 0', () => {
  const o = { lr: 1, warmup: 4, steps: 12 };
  expect([0, 1, 2, 3].map((s) => learningRate(s, o))).toEqual([0.25, 0.5, 0.75, 1]);
  expect(learningRate(4, o)).toBe(1);
  expect(learningRate(8, o)).toBe(0.5);
  expect(learningRate(12, o)).toBe(0);
});

test('stop + resume gives the same weights as one run; the folder loads', async () => {
  const before = tf.memory().numTensors;
  await train(base('straight'));
  await train({ ...base('resumed'), stopAfter: 2 });
  await train(base('resumed'));
  const a = await readFile(join(dir, 'straight', 'model.safetensors'));
  const b = await readFile(join(dir, 'resumed', 'model.safetensors'));
  expect(a.equals(b)).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  const m = await loadModel(join(dir, 'straight'));
  expect(m.config.numLayers).toBe(1);
  expect(m.config.vocabSize).toBe(700);
  expect(m.config.maxPositionEmbeddings).toBe(48);
  disposeModel(m);
  const log = JSON.parse(await readFile(join(dir, 'resumed', 'training_log.json'), 'utf8')) as { curve: Array<{ step: number }> };
  expect(log.curve.map((e) => e.step)).toEqual([4]);
}, 300_000);

test('shares: contiguous, larger first, every thread at least one group', () => {
  expect(shareSizes(8, 1)).toEqual([8]);
  expect(shareSizes(8, 2)).toEqual([4, 4]);
  expect(shareSizes(8, 3)).toEqual([3, 3, 2]);
  expect(() => shareSizes(2, 3)).toThrow(/at least one group/);
});

test('shares combined = the full batch, up to float summation order', () => {
  const shape: ModelShape = { vocabSize: 50, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16, typeVocabSize: 2, numLabels: 1 };
  const state = randomStateDict(shape, 3, 0.2);
  const tb = trainableBert(parseConfig(JSON.parse(configJson(shape, 0.2, 3))), new Map([...state].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
  const groups = 5;
  const size = 3;
  const len = 8;
  const rows = groups * size;
  const ids = Int32Array.from({ length: rows * len }, (_v, i) => 1 + ((i * 7919) % 49));
  const types = Int32Array.from({ length: rows * len }, (_v, i) => (i % len >= 4 ? 1 : 0));
  const mask = Int32Array.from({ length: rows * len }, (_v, i) => (i % len < len - (Math.floor(i / len) % 3) ? 1 : 0));
  const slice = (from: number, to: number): tf.Tensor2D[] => [ids, types, mask].map((a) => tf.tensor2d(a.slice(from * size * len, to * size * len), [(to - from) * size, len], 'int32'));
  const full = slice(0, groups);
  const whole = lossAndGrads(tb, full, groups, size);
  const parts = [[0, 3], [3, 5]].map(([a, b]) => {
    const x = slice(a as number, b as number);
    const r = { ...lossAndGrads(tb, x, (b as number) - (a as number), size), groups: (b as number) - (a as number) };
    tf.dispose(x);
    return r;
  });
  const combined = combineShares(parts);
  expect(Math.abs(combined.loss - whole.loss)).toBeLessThanOrEqual(1e-6);
  let worst = 0;
  let largest = 0;
  for (const [n, g] of whole.grads) {
    const x = g.dataSync();
    const y = (combined.grads.get(n) as tf.Tensor).dataSync();
    for (let i = 0; i < x.length; i++) {
      worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
      largest = Math.max(largest, Math.abs(x[i] as number));
    }
  }
  expect(largest).toBeGreaterThan(1e-3);
  expect(worst).toBeLessThanOrEqual(1e-6);
  tf.dispose([...full, ...whole.grads.values(), ...combined.grads.values(), ...parts.flatMap((p) => [...p.grads.values()]), ...tb.variables.values()]);
});

// straight2 and the first sitting of resumed2 compute steps 1-2 independently (fresh workers), and
// so do both for steps 3-4: equal bytes at the end are also the "same bytes run after run" check.
test('2 threads: stop + resume = one run, byte for byte', async () => {
  const before = tf.memory().numTensors;
  const two = (name: string): TrainOptions => ({ ...base(name), threads: 2 });
  await train(two('straight2'));
  await train({ ...two('resumed2'), stopAfter: 2 });
  await train(two('resumed2'));
  const a = await readFile(join(dir, 'straight2', 'model.safetensors'));
  expect(a.equals(await readFile(join(dir, 'resumed2', 'model.safetensors')))).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  const log = JSON.parse(await readFile(join(dir, 'straight2', 'training_log.json'), 'utf8')) as { options: TrainOptions; curve: Array<{ threads: number }> };
  expect(log.options.threads).toBe(2);
  expect(log.curve.map((e) => e.threads)).toEqual([2]);
}, 300_000);

test('2 threads = 1 thread up to float summation order', async () => {
  // One step from the same initial weights: AdamW's first update is lr·g/(|g| + ε), about ±lr
  // for every gradient, so a rounding-level change of g moves the weight by far less than lr.
  const one = { ...base('step1'), steps: 1 };
  await train(one);
  await train({ ...one, out: join(dir, 'step2'), checkpoints: join(dir, 'step2.ckpt'), threads: 2 });
  const w1 = await readSafetensors(join(dir, 'step1', 'model.safetensors'));
  const w2 = await readSafetensors(join(dir, 'step2', 'model.safetensors'));
  let worst = 0;
  let moved = 0;
  for (const [n, t] of w1.tensors) {
    const x = t.data as Float32Array;
    const y = w2.tensors.get(n)?.data as Float32Array;
    for (let i = 0; i < x.length; i++) {
      worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
      if (x[i] !== y[i]) moved++;
    }
  }
  // AdamW's first step moves a weight by lr·g/(|g| + ε), whose slope in g is up to lr/ε = 5e4 where
  // |g| is near ε = 1e-8 (this toy model's gradients are that small): a rounding-level change of
  // 1e-10 in g can move such a weight by 5e-6, 1% of lr. The gradients themselves agree within
  // 1e-6 (the test above); here the weights must agree within 2% of lr.
  expect(worst).toBeLessThanOrEqual(0.02 * 5e-4);
  // The loss curves of a few steps, one entry per step, from the overlap initialisation (the
  // random one sits at ln 3, where any two curves would agree).
  const curve = async (name: string, threads: number): Promise<number[]> => {
    await train({ ...base(name), init: 'overlap', layers: 2, threads, logEvery: 1 });
    const log = JSON.parse(await readFile(join(dir, name, 'training_log.json'), 'utf8')) as { curve: Array<{ loss: number }> };
    return log.curve.map((e) => e.loss);
  };
  const c1 = await curve('curve1', 1);
  const c2 = await curve('curve2', 2);
  expect(c1).toHaveLength(4);
  c2.forEach((l, i) => expect(Math.abs(l - (c1[i] as number))).toBeLessThanOrEqual(1e-5));
  process.stderr.write(`2 vs 1 thread: one step, max |Δw| ${worst.toExponential(2)} (${moved} weights differ); losses ${c1.map((l, i) => `${l.toFixed(6)}/${(c2[i] as number).toFixed(6)}`).join(' ')}\n`);
}, 300_000);

test('soft targets: one-hot equals the plain listwise loss; soft = −Σ t·log softmax, by hand', () => {
  const shape: ModelShape = { vocabSize: 50, hiddenSize: 16, numLayers: 1, numHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16, typeVocabSize: 2, numLabels: 1 };
  const state = randomStateDict(shape, 4, 0.3);
  const tb = trainableBert(parseConfig(JSON.parse(configJson(shape, 0.3, 4))), new Map([...state].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
  const groups = 2;
  const size = 3;
  const len = 6;
  const rows = groups * size;
  const x = [
    tf.tensor2d(Int32Array.from({ length: rows * len }, (_v, i) => 1 + ((i * 31) % 49)), [rows, len], 'int32'),
    tf.tensor2d(Int32Array.from({ length: rows * len }, (_v, i) => (i % len >= 3 ? 1 : 0)), [rows, len], 'int32'),
    tf.tensor2d(new Int32Array(rows * len).fill(1), [rows, len], 'int32'),
  ] as tf.Tensor2D[];
  const plain = lossAndGrads(tb, x, groups, size);
  const oneHot = lossAndGrads(tb, x, groups, size, 'listwise', new Set(), Float32Array.from([1, 0, 0, 1, 0, 0]));
  expect(oneHot.loss).toBeCloseTo(plain.loss, 6);
  for (const [n, g] of plain.grads) {
    const a = g.dataSync();
    const b = (oneHot.grads.get(n) as tf.Tensor).dataSync();
    for (let i = 0; i < a.length; i++) expect(Math.abs((a[i] as number) - (b[i] as number))).toBeLessThanOrEqual(1e-6);
  }
  const t = [0.5, 0.3, 0.2, 0.1, 0.1, 0.8];
  const soft = lossAndGrads(tb, x, groups, size, 'listwise', new Set(), Float32Array.from(t));
  // By hand from the logits of the same forward.
  const logits = tf.tidy(() => bertForward(tb.model, { inputIds: x[0] as tf.Tensor2D, tokenTypeIds: x[1] as tf.Tensor2D, attentionMask: x[2] as tf.Tensor2D }).dataSync());
  let want = 0;
  for (let g = 0; g < groups; g++) {
    const z = [0, 1, 2].map((i) => logits[g * size + i] as number);
    const lse = Math.log(z.reduce((s, v) => s + Math.exp(v), 0));
    for (let i = 0; i < size; i++) want -= (t[g * size + i] as number) * ((z[i] as number) - lse);
  }
  expect(soft.loss).toBeCloseTo(want / groups, 5);
  expect(() => lossAndGrads(tb, x, groups, size, 'listwise', new Set(), new Float32Array(5))).toThrow(/targets: 5 values for 2 groups of 3/);
  tf.dispose([...x, ...plain.grads.values(), ...oneHot.grads.values(), ...soft.grads.values(), ...tb.variables.values()]);
});

test('MLM pre-training: stop + resume = one run on 2 threads; 2 threads = 1 on the first loss; the folder loads; ranking starts from it', async () => {
  const before = tf.memory().numTensors;
  const mlm = (name: string, threads = 2): TrainOptions => ({ ...base(name), threads, objective: 'mlm', logEvery: 1 });
  await train(mlm('mlm'));
  await train({ ...mlm('mlm-r'), stopAfter: 2 });
  await train(mlm('mlm-r'));
  const a = await readFile(join(dir, 'mlm', 'model.safetensors'));
  expect(a.equals(await readFile(join(dir, 'mlm-r', 'model.safetensors')))).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  // The first step's loss is the same forward on one thread (a mean over all masked tokens) and on
  // two (shares weighted by their masked tokens), up to float summation order; it starts near
  // ln V (a random head predicts uniformly) and training lowers it.
  await train({ ...mlm('mlm1', 1), steps: 4 });
  const curve = async (name: string): Promise<number[]> => (JSON.parse(await readFile(join(dir, name, 'training_log.json'), 'utf8')) as { curve: Array<{ loss: number }> }).curve.map((e) => e.loss);
  const [c1, c2] = [await curve('mlm1'), await curve('mlm')];
  expect(Math.abs((c1[0] as number) - (c2[0] as number))).toBeLessThanOrEqual(1e-5);
  expect(Math.abs((c1[0] as number) - Math.log(700))).toBeLessThanOrEqual(0.1);
  // The head is saved under HF's names; the folder loads as a cross-encoder (cls.* set aside).
  const w = await readSafetensors(join(dir, 'mlm', 'model.safetensors'));
  expect([...w.tensors.keys()].filter((n) => n.startsWith('cls.')).sort()).toEqual(['cls.predictions.bias', 'cls.predictions.transform.LayerNorm.bias', 'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.dense.bias', 'cls.predictions.transform.dense.weight']);
  const m = await loadModel(join(dir, 'mlm'));
  expect(m.config.vocabSize).toBe(700);
  disposeModel(m);
  // A ranking run from it: the encoder starts at the MLM weights (one AdamW step moves a weight by
  // at most about lr = 5e-4 at step 0), the head is left behind.
  await train({ ...base('ft'), steps: 1, initFrom: join(dir, 'mlm') });
  const f = await readSafetensors(join(dir, 'ft', 'model.safetensors'));
  expect([...f.tensors.keys()].some((n) => n.startsWith('cls.'))).toBe(false);
  const name = 'bert.encoder.layer.0.intermediate.dense.weight';
  const x = w.tensors.get(name)?.data as Float32Array;
  const y = f.tensors.get(name)?.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  expect(worst).toBeGreaterThan(0);
  expect(worst).toBeLessThanOrEqual(1e-3);
  expect(tf.memory().numTensors).toBe(before);
}, 300_000);

test('--init-from refuses the options that shape a fresh initialisation (they would rescale trained weights)', async () => {
  const from = join(dir, 'no-such-model'); // refused before anything is read
  await expect(train({ ...base('refuse'), initFrom: from, qkStd: 0.05 })).rejects.toThrow(/--init-from .* takes that model's weights as they are; --qk-std shape a fresh initialisation only/);
  await expect(train({ ...base('refuse'), initFrom: from, ffnStd: 0.05, tieQkLayers: [0] })).rejects.toThrow(/--ffn-std, --tie-qk-layers/);
});
