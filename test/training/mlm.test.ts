/**
 * MLM pre-training (src/training/mlm.ts). References from first principles and the HF fixture:
 *   - masking: only real, non-special tokens are chosen; labels are the original ids; a sequence's
 *     masking depends on its own seed only; the chosen share and the 80/10/10 split lie within
 *     binomial bounds (5 standard deviations) of BERT's rule;
 *   - log-probabilities: the head (dense → erf-GELU → LayerNorm → tied decoder + bias) written out
 *     in float64 loops on the fixture's last hidden states (HF's `outputs.hidden_states.3`), 1e-4 abs;
 *   - ∂L/∂cls.predictions.bias[v] = (1/M) Σᵢ (pᵢ[v] − 1[labelᵢ = v]) (softmax cross-entropy), 1e-6 abs.
 */
import * as tf from '../../src/backend/tf.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import { maskBatch, mlmLogProbs, mlmLossAndGrads, randomMlmHead } from '../../src/training/mlm.js';
import type { MaskingOptions } from '../../src/training/mlm.js';
import { trainableBert } from '../../src/training/trainable.js';
import { batchTensors } from '../../src/training/step.js';
import type { TokenBatch } from '../../src/tokenize/encode.js';
import { readStateDict } from '../../src/weights/sharded.js';
import { selectBackend } from '../../src/backend/select.js';
import { FIXTURE_DIR, fixtureBatch, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const SPECIAL = [0, 100, 101, 102, 103]; // the fixture's BERT vocabulary: [PAD], [UNK], [CLS], [SEP], [MASK]
const opts = (rate?: number): MaskingOptions => ({ maskId: 103, specialIds: SPECIAL, vocabSize: 30522, ...(rate !== undefined && { rate }) });

/** A batch of `n` sequences: [CLS] a… [SEP] b… [SEP] [PAD]…, ordinary ids from 1000. */
function syntheticBatch(n: number, T: number): TokenBatch {
  const inputIds = new Int32Array(n * T);
  const attentionMask = new Int32Array(n * T);
  const tokenTypeIds = new Int32Array(n * T);
  for (let s = 0; s < n; s++) {
    const len = T - (s % 7);
    for (let t = 0; t < len; t++) {
      const k = s * T + t;
      attentionMask[k] = 1;
      inputIds[k] = t === 0 ? 101 : t === 5 || t === len - 1 ? 102 : 1000 + ((s * 31 + t * 7) % 5000);
      tokenTypeIds[k] = t > 5 ? 1 : 0;
    }
  }
  return { inputIds, tokenTypeIds, attentionMask, batch: n, seqLen: T };
}

describe('masking', () => {
  test('only real, non-special tokens; labels are the originals; the input is untouched', () => {
    const b = syntheticBatch(40, 32);
    const copy = Int32Array.from(b.inputIds);
    const m = maskBatch(b, (s) => 1000 + s, opts());
    expect(Array.from(b.inputIds)).toEqual(Array.from(copy));
    expect(m.positions.length).toBeGreaterThan(0);
    for (let i = 0; i < m.positions.length; i++) {
      const k = m.positions[i] as number;
      expect(b.attentionMask[k]).toBe(1);
      expect(SPECIAL).not.toContain(b.inputIds[k]);
      expect(m.labels[i]).toBe(b.inputIds[k]);
      if (i > 0) expect(k).toBeGreaterThan(m.positions[i - 1] as number);
    }
    // Positions not chosen keep their ids; type ids and the attention mask never change.
    const chosen = new Set(m.positions);
    for (let k = 0; k < b.inputIds.length; k++) if (!chosen.has(k)) expect(m.batch.inputIds[k]).toBe(b.inputIds[k]);
    expect(Array.from(m.batch.attentionMask)).toEqual(Array.from(b.attentionMask));
    expect(Array.from(m.batch.tokenTypeIds)).toEqual(Array.from(b.tokenTypeIds));
  });

  test('a sequence is masked the same in any batch (its own seed)', () => {
    const b = syntheticBatch(6, 20);
    const all = maskBatch(b, (s) => 77 + s, opts());
    // Sequences 3..5 alone, seeded as they were at 3..5.
    const tail: TokenBatch = { ...b, batch: 3, inputIds: b.inputIds.slice(60), tokenTypeIds: b.tokenTypeIds.slice(60), attentionMask: b.attentionMask.slice(60) };
    const part = maskBatch(tail, (s) => 77 + 3 + s, opts());
    expect(Array.from(part.batch.inputIds)).toEqual(Array.from(all.batch.inputIds.slice(60)));
    expect(Array.from(part.positions, (k) => k + 60)).toEqual(Array.from(all.positions).filter((k) => k >= 60));
  });

  test('the chosen share and the 80/10/10 split follow BERT\'s rule (binomial bounds)', () => {
    const b = syntheticBatch(400, 64);
    const rate = 0.25;
    const m = maskBatch(b, (s) => 9 * s + 1, opts(rate));
    let candidates = 0;
    for (let k = 0; k < b.inputIds.length; k++) if (b.attentionMask[k] === 1 && !SPECIAL.includes(b.inputIds[k] as number)) candidates++;
    const n = m.positions.length;
    // Every sequence has ~55 candidates, so the at-least-one rule never fires here.
    const within = (count: number, trials: number, p: number): void => expect(Math.abs(count - trials * p)).toBeLessThanOrEqual(5 * Math.sqrt(trials * p * (1 - p)));
    within(n, candidates, rate);
    let masked = 0;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const k = m.positions[i] as number;
      if (m.batch.inputIds[k] === 103) masked++;
      else if (m.batch.inputIds[k] === m.labels[i]) kept++;
      else expect(SPECIAL).not.toContain(m.batch.inputIds[k]);
    }
    within(masked, n, 0.8);
    // "kept" also counts a random draw that hit the same id (probability 0.1 / 30517 each: nil).
    within(kept, n, 0.1);
    within(n - masked - kept, n, 0.1);
  });

  test('a sequence with candidates gets at least one; a bad rate is refused', () => {
    const b = syntheticBatch(50, 8);
    const m = maskBatch(b, (s) => s, opts(0.01));
    const seqs = new Set(Array.from(m.positions, (k) => Math.floor(k / 8)));
    // Sequences of length 2 ([CLS] [SEP]: s % 7 = 6) have nothing to mask.
    const withCandidates = Array.from({ length: 50 }, (_v, s) => s).filter((s) => s % 7 !== 6);
    expect([...seqs].sort((x, y) => x - y)).toEqual(withCandidates);
    expect(() => maskBatch(b, (s) => s, opts(0))).toThrow(/mask rate/);
  });
});

describe('MLM head and loss [wasm]', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  test('log-probabilities equal the head written out on HF\'s hidden states; bias gradient = p − onehot', async () => {
    const refs = await reference();
    const frozen = await loadModel(FIXTURE_DIR);
    const before = tf.memory().numTensors;
    const { state } = await readStateDict(FIXTURE_DIR);
    const named = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [n, t] of state) if (!/position_ids/.test(n)) named.set(n.startsWith('bert.') || n.startsWith('classifier') ? n : `bert.${n}`, { shape: t.shape, data: t.data as Float32Array });
    const H = frozen.config.hiddenSize;
    const V = frozen.config.vocabSize;
    // A head far from the identity: dense N(0, 0.3), LayerNorm and bias perturbed.
    const headState = randomMlmHead(H, V, 3, 0.3);
    const gamma = headState.get('cls.predictions.transform.LayerNorm.weight')?.data as Float32Array;
    gamma.forEach((_x, i) => (gamma[i] = 1 + 0.1 * Math.sin(i)));
    const beta = headState.get('cls.predictions.transform.LayerNorm.bias')?.data as Float32Array;
    beta.forEach((_x, i) => (beta[i] = 0.05 * Math.cos(i)));
    const bias = headState.get('cls.predictions.bias')?.data as Float32Array;
    bias.forEach((_x, i) => (bias[i] = 0.01 * ((i % 13) - 6)));
    const db = headState.get('cls.predictions.transform.dense.bias')?.data as Float32Array;
    db.forEach((_x, i) => (db[i] = 0.02 * (i % 5)));
    for (const [n, t] of headState) named.set(n, t);
    const tb = trainableBert(frozen.config, named, 'fixture');

    const batch = fixtureBatch(refs);
    const positions = Int32Array.from([1, 3, 30, 40, 50, 75]);
    const labels = Int32Array.from(positions, (k) => batch.inputIds[k] as number);
    const inputs = batchTensors(batch);
    const pos = tf.tensor1d(positions, 'int32');
    const logp = tf.tidy(() => mlmLogProbs(tb, inputs, pos));
    const got = logp.dataSync() as Float32Array;

    // By hand in float64 from HF's last hidden states.
    const hidden = ref(refs, 'outputs.hidden_states.3').data as Float32Array;
    const W = headState.get('cls.predictions.transform.dense.weight')?.data as Float32Array; // HF [out, in]
    const E = named.get('bert.embeddings.word_embeddings.weight')?.data as Float32Array; // [V, H]
    const erf = (x: number): number => {
      // Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7.
      const s = Math.sign(x);
      const a = Math.abs(x);
      const t = 1 / (1 + 0.3275911 * a);
      const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
      return s * y;
    };
    const expected = new Float64Array(positions.length * V);
    const expectGradBias = new Float64Array(V);
    positions.forEach((k, i) => {
      const x = Array.from(hidden.subarray(k * H, (k + 1) * H));
      const d = Array.from({ length: H }, (_v, o) => x.reduce((acc, xi, j) => acc + xi * (W[o * H + j] as number), db[o] as number));
      const g = d.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      const mean = g.reduce((a, b) => a + b, 0) / H;
      const variance = g.reduce((a, b) => a + (b - mean) ** 2, 0) / H;
      const t = g.map((v, j) => ((v - mean) / Math.sqrt(variance + frozen.config.layerNormEps)) * (gamma[j] as number) + (beta[j] as number));
      const logits = Array.from({ length: V }, (_v, w) => t.reduce((acc, tj, j) => acc + tj * (E[w * H + j] as number), bias[w] as number));
      const max = Math.max(...logits);
      const lse = max + Math.log(logits.reduce((a, z) => a + Math.exp(z - max), 0));
      logits.forEach((z, w) => {
        expected[i * V + w] = z - lse;
        expectGradBias[w] = (expectGradBias[w] as number) + (Math.exp(z - lse) - (w === labels[i] ? 1 : 0)) / positions.length;
      });
    });
    expect(maxAbsDiff(got, expected)).toBeLessThanOrEqual(1e-4);

    const { loss, grads } = mlmLossAndGrads(tb, inputs, positions, labels);
    const expectLoss = -Array.from(labels).reduce((a, l, i) => a + (expected[i * V + l] as number), 0) / positions.length;
    expect(Math.abs(loss - expectLoss)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(grads.get('cls.predictions.bias')?.dataSync() as Float32Array, expectGradBias)).toBeLessThanOrEqual(1e-6);
    // The encoder learns too (tied decoder and the path to the hidden states); pooler and classifier do not.
    expect(grads.has('bert.encoder.layer.0.intermediate.dense.weight')).toBe(true);
    expect(grads.has('bert.embeddings.word_embeddings.weight')).toBe(true);
    expect(grads.has('classifier.weight')).toBe(false);

    tf.dispose([logp, pos, ...inputs, ...grads.values(), ...tb.variables.values()]);
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(frozen);
  }, 120_000);
});
