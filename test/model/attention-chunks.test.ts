/**
 * Scoring (inference that reads no site) computes attention's scores a few pairs at a time
 * (AttentionArgs.chunkPairs): the logits must be the bits of the whole-batch computation, which a
 * run that reads a site still does. The fixture (4 heads, 128 tokens) gets chunks of
 * 2^21 / (4·128·128) = 32 pairs, so 40 padded pairs of different lengths make a chunk of 32 and
 * one of 8, the second starting mid-batch in the mask as well.
 */
import * as tf from '../../src/backend/tf.js';
import { ATTENTION_CHUNK_FLOATS } from '../../src/model/attention.js';
import { bertForward } from '../../src/model/bert.js';
import { disposeInputs, toInputs } from '../../src/model/inputs.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { disposeRun, runModel } from '../../src/hooks/run.js';
import { selectBackend } from '../../src/backend/select.js';
import type { TokenBatch } from '../../src/tokenize/encode.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';

const B = 40;
const T = 128;

function batch(vocab: number): TokenBatch {
  const n = B * T;
  const inputIds = new Int32Array(n);
  const tokenTypeIds = new Int32Array(n);
  const attentionMask = new Int32Array(n);
  let s = 12345;
  for (let r = 0; r < B; r++) {
    const len = 24 + ((r * 37) % (T - 24)); // 24..127 tokens, padded to T
    for (let t = 0; t < T; t++) {
      const i = r * T + t;
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      inputIds[i] = t < len ? 1000 + (s % (vocab - 1000)) : 0;
      tokenTypeIds[i] = t < len && t >= len / 3 ? 1 : 0;
      attentionMask[i] = t < len ? 1 : 0;
    }
  }
  return { inputIds, tokenTypeIds, attentionMask, batch: B, seqLen: T };
}

// wasm, the backend it is for; on cpu the same code takes a minute for this batch.
describe('attention in chunks of pairs [wasm]', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await loadModel(FIXTURE_DIR);
  });
  afterAll(() => disposeModel(model));

  test('the fixture is chunked here: 32 pairs per chunk for a batch of 40', () => {
    expect(Math.floor(ATTENTION_CHUNK_FLOATS / (model.config.numHeads * T * T))).toBe(32);
  });

  test('scoring gives the whole batch\'s logits bit for bit, and frees every chunk', async () => {
    const inputs = toInputs(batch(model.config.vocabSize), model.config);
    const before = tf.memory().numTensors;
    const chunked = tf.tidy(() => bertForward(model, inputs));
    expect(tf.memory().numTensors).toBe(before + 1);
    // Reading a site turns chunking off: the same forward over the whole batch at once.
    const whole = runModel(model, inputs, { capture: ['embeddings'] });
    const a = await chunked.data();
    const b = await whole.logits.data();
    expect(a.length).toBe(B * model.config.numLabels);
    expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
    chunked.dispose();
    disposeRun(whole);
    disposeInputs(inputs);
    expect(tf.memory().numTensors).toBe(before - 3);
  });
});
