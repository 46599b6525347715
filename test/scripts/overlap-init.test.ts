/**
 * scripts/overlap-init.ts builds a lexical-overlap circuit into an untrained BERT: before any
 * training step it must rank a pseudo-query's own passage above random passages far more often
 * than chance, while the plain initialisation it starts from does not.
 */
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { bertForward } from '../../src/model/bert.js';
import { trainableBert } from '../../src/training/trainable.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { parseConfig } from '../../src/weights/config.js';
import { configJson, randomStateDict } from '../../scripts/make-random-model.js';
import type { ModelShape } from '../../scripts/make-random-model.js';
import { overlapInit } from '../../scripts/overlap-init.js';
import { encodeGroups } from '../../scripts/train-cross-encoder.js';
import { loadTrainData, makeGroup } from '../../scripts/train-data.js';
import { DEFAULT_MODEL_DIR } from '../../src/defaults.js';
import { SHARED } from '../helpers/fixture.js';

async function pairwiseAccuracy(init: 'random' | 'overlap'): Promise<number> {
  const data = await loadTrainData(join(SHARED, 'data'));
  const tok = await loadTokenizer(DEFAULT_MODEL_DIR);
  const shape: ModelShape = { vocabSize: tok.vocabSize, hiddenSize: 128, numLayers: 2, numHeads: 2, intermediateSize: 512, maxPositionEmbeddings: 64, typeVocabSize: 2, numLabels: 1 };
  const state = randomStateDict(shape, 3);
  if (init === 'overlap') overlapInit(state, shape, 3);
  const tb = trainableBert(parseConfig(JSON.parse(configJson(shape, 0.02, 3))), new Map([...state].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
  let ok = 0;
  let all = 0;
  for (let step = 0; step < 10; step++) {
    const groups = Array.from({ length: 8 }, (_v, slot) => makeGroup(data, 41, step, slot, { groupSize: 4, realShare: 0, hardNegatives: 0, window: 40 }));
    const inputs = await encodeGroups(tok, groups, 64);
    const logits = tf.tidy(() => bertForward(tb.model, { inputIds: inputs[0] as tf.Tensor2D, tokenTypeIds: inputs[1] as tf.Tensor2D, attentionMask: inputs[2] as tf.Tensor2D }));
    const s = logits.dataSync();
    tf.dispose([logits, ...inputs]);
    for (let g = 0; g < 8; g++) for (let j = 1; j < 4; j++) (all++, (s[g * 4] as number) > (s[g * 4 + j] as number) && ok++);
  }
  tf.dispose([...tb.variables.values()]);
  return ok / all;
}

test('untrained: the overlap circuit ranks a pseudo-query’s passage first; the plain init is at chance', async () => {
  await selectBackend('wasm');
  const overlap = await pairwiseAccuracy('overlap');
  const plain = await pairwiseAccuracy('random');
  expect(overlap).toBeGreaterThan(0.8);
  expect(plain).toBeLessThan(0.65);
}, 120_000);
