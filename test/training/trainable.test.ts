/**
 * The trainable model (variables, weight gradients) is the same function as the inference model,
 * and its weight gradients are right. References: the HF fixture's logits, and first principles:
 *   - L = Σ logits ⇒ ∂L/∂W_cls[h] = Σ_b pooled[b,h] and ∂L/∂b_cls = B, with `pooled` captured from
 *     the inference model at the `pooler` site;
 *   - ∂L/∂E[t] (word-embedding row t) = Σ over positions holding token t of ∂L/∂x, where x is the
 *     looked-up word-embedding input, differentiated by the inference model (NIG's path input).
 * Tolerance 1e-4 abs (float32; the sums are over at most a few dozen terms).
 */
import * as tf from '../../src/backend/tf.js';
import { bertForward } from '../../src/model/bert.js';
import { lookup } from '../../src/model/embeddings.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import { runModel, disposeRun } from '../../src/hooks/run.js';
import { assignStateDict, stateDictOf, trainableBert } from '../../src/training/trainable.js';
import { readStateDict } from '../../src/weights/sharded.js';
import { selectBackend } from '../../src/backend/select.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, fixtureInputs, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const TOL = 1e-4;

async function fixtureState(): Promise<Map<string, { shape: readonly number[]; data: Float32Array }>> {
  const { state } = await readStateDict(FIXTURE_DIR);
  const out = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [n, t] of state) {
    if (/position_ids/.test(n)) continue;
    out.set(n.startsWith('bert.') || n.startsWith('classifier') ? n : `bert.${n}`, { shape: t.shape, data: t.data as Float32Array });
  }
  return out;
}

// wasm only: the cpu backend needs ~150 s for this backward pass; the segment-sum kernel wasm adds
// is checked against cpu below, everything else is backend-independent tfjs code.
describe('trainable BERT [wasm]', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  test('forward equals the HF logits; state dict round-trips; weight gradients match first principles', async () => {
    const refs = await reference();
    const frozen = await loadModel(FIXTURE_DIR);
    const before = tf.memory().numTensors;
    const state = await fixtureState();
    const tb = trainableBert(frozen.config, state, 'fixture');
    const inputs = fixtureInputs(refs);
    const [B, T] = inputs.inputIds.shape;

    const logits = tf.tidy(() => bertForward(tb.model, inputs));
    expect(maxAbsDiff(logits.dataSync(), ref(refs, 'outputs.logits').data as Float32Array)).toBeLessThanOrEqual(TOL);
    logits.dispose();

    // Save → HF layout: every tensor equals the file's.
    const saved = stateDictOf(tb.variables);
    for (const [n, t] of state) expect(maxAbsDiff(saved.get(n)?.data as Float32Array, t.data)).toBe(0);

    const { grads, value } = tf.variableGrads(() => tf.sum(bertForward(tb.model, inputs)) as tf.Scalar, [...tb.variables.values()]);
    value.dispose();
    const g = (name: string): Float32Array => grads[(tb.variables.get(name) as tf.Variable).name]?.dataSync() as Float32Array;

    const run = runModel(frozen, inputs, { capture: ['pooler'] });
    const pooled = run.captured.get('pooler')?.dataSync() as Float32Array;
    const H = frozen.config.hiddenSize;
    const expectW = new Float32Array(H);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) expectW[h] = (expectW[h] as number) + (pooled[b * H + h] as number);
    // classifier.weight is held as [H, 1]: the same numbers in the same order as HF's [1, H].
    expect(maxAbsDiff(g('classifier.weight'), expectW)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(g('classifier.bias'), [B])).toBeLessThanOrEqual(TOL);
    disposeRun(run);

    // Word-embedding rows: the segment sum of the gradient w.r.t. the looked-up embeddings.
    const ids = inputs.inputIds.dataSync();
    const dWords = tf.tidy(() => {
      const words = lookup(frozen.weights.wordEmbeddings, inputs.inputIds);
      return tf.grad((x: tf.Tensor) => tf.sum(bertForward(frozen, { ...inputs, wordEmbeddings: x as tf.Tensor3D })))(words);
    });
    const dw = dWords.dataSync();
    const V = frozen.config.vocabSize;
    const expectE = new Float32Array(V * H);
    for (let i = 0; i < B * T; i++) {
      const t = ids[i] as number;
      for (let h = 0; h < H; h++) expectE[t * H + h] = (expectE[t * H + h] as number) + (dw[i * H + h] as number);
    }
    expect(maxAbsDiff(g('bert.embeddings.word_embeddings.weight'), expectE)).toBeLessThanOrEqual(TOL);
    dWords.dispose();
    tf.dispose(Object.values(grads));

    // Resuming overwrites every variable from a state dict.
    tf.tidy(() => (tb.variables.get('classifier.bias') as tf.Variable).assign(tf.fill([1], 7)));
    assignStateDict(tb.variables, state, 'fixture');
    expect(maxAbsDiff(stateDictOf(tb.variables).get('classifier.bias')?.data as Float32Array, state.get('classifier.bias')?.data as Float32Array)).toBe(0);
    const bad = new Map(state);
    bad.set('classifier.bias', { shape: [2], data: new Float32Array(2) });
    expect(() => assignStateDict(tb.variables, bad, 'ckpt.safetensors')).toThrow(/ckpt.safetensors: classifier.bias has shape \[2\]/);

    tf.dispose([...tb.variables.values()]);
    tf.dispose(Object.values(inputs));
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(frozen);
  });
});

describeEachBackend('UnsortedSegmentSum (gather gradient)', () => {
  test('sums rows into segments, drops out-of-range ids', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const ids = tf.tensor1d([2, 0, 2, 5], 'int32');
    const s = tf.unsortedSegmentSum(x, ids, 3);
    expect(Array.from(s.dataSync())).toEqual([3, 4, 0, 0, 1 + 5, 2 + 6]);
    tf.dispose([x, ids, s]);
  });
});
