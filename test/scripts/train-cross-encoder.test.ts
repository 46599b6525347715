/**
 * The training script on a toy shape: it writes a loadable HF model folder, and a run stopped
 * half-way then resumed from its checkpoint ends with byte-identical weights to one run straight
 * through (the data at a step and the AdamW state are both restored exactly).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { learningRate, train } from '../../scripts/train-cross-encoder.js';
import type { TrainOptions } from '../../scripts/train-cross-encoder.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import { SHARED } from '../helpers/fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = (name: string): TrainOptions => ({
  data: join(SHARED, 'data'),
  out: join(dir, name),
  checkpoints: join(dir, `${name}.ckpt`),
  seed: 5,
  steps: 4,
  groupsPerStep: 2,
  groupSize: 3,
  realShare: 0.5,
  lr: 1e-3,
  warmup: 2,
  weightDecay: 0.01,
  clip: 1,
  maxLength: 48,
  vocabSize: 700,
  layers: 1,
  hidden: 16,
  heads: 2,
  ffn: 32,
  checkpointEvery: 1,
});

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
