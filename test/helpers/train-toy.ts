/** The training script's options on a toy shape (one layer, hidden 16, 700 tokens), for the training tests. */
import { join } from 'node:path';
import type { TrainOptions } from '../../scripts/train-cross-encoder.js';
import { SHARED } from './fixture.js';

/** A run named `name` in `dir` (its output folder and checkpoints), 3 steps of 2 groups of 3 unless `over` says otherwise. */
export function toyTrainOptions(dir: string, name: string, over: Partial<TrainOptions> = {}): TrainOptions {
  return {
    data: join(SHARED, 'data'),
    out: join(dir, name),
    checkpoints: join(dir, `${name}.ckpt`),
    seed: 5,
    steps: 3,
    groupsPerStep: 2,
    groupSize: 3,
    realShare: 0.5,
    lr: 1e-3,
    warmup: 1,
    weightDecay: 0.01,
    clip: 1,
    maxLength: 48,
    vocabSize: 700,
    layers: 1,
    hidden: 16,
    heads: 2,
    ffn: 32,
    checkpointEvery: 1,
    ...over,
  };
}
