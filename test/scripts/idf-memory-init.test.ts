/**
 * scripts/idf-memory-init.ts on a small sample, checked against what its header promises, from
 * first principles: layer 1's key row 1 is κ·w with |w| = 1 and κ = √(8·lam/g), query bias[1] = κ;
 * the word and position embeddings carry nothing along w; memory neuron j's threshold is −s·θ and its
 * weight row has norm s/√H; neuron j fires on its token and stays silent on tokens outside the
 * memory; and [CLS] (layer 1, head 0) attends less to a frequent query word than to a rare one.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { idfMemoryInit } from '../../scripts/idf-memory-init.js';
import { runModel, disposeRun } from '../../src/hooks/run.js';
import type { SiteName } from '../../src/model/sites.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { padBatch } from '../../src/tokenize/encode.js';
import { loadTokenizer } from '../../src/tokenize/load.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { SHARED } from '../helpers/fixture.js';
import { loadTrainData, TRAIN_SPLIT } from '../../scripts/train-data.js';

const H = 128;
const o = { data: join(SHARED, 'data'), tokenizer: 'weights/celens-ce-tiny', seed: 20261127, ffn: 512, m: 64, s: 20, theta: Number.NaN, gain: 2, lam: 4, ridge: 1, queryWeight: 5, minCount: 3, sampleSteps: 2 };
let dir: string;
let w: Map<string, Float32Array>;
let memory: string[];
let meta: { theta: number; memory: Array<[string, number]> };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-idf-init-'));
  await idfMemoryInit({ ...o, out: dir });
  const st = await readSafetensors(join(dir, 'model.safetensors'));
  w = new Map([...st.tensors].map(([n, t]) => [n, t.data as Float32Array]));
  memory = (await readFile(join(dir, 'memory-tokens.txt'), 'utf8')).split('\n').filter((l) => l !== '');
  meta = JSON.parse(await readFile(join(dir, 'idf-init.json'), 'utf8')) as typeof meta;
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const get = (n: string): Float32Array => w.get(n) as Float32Array;

/** Two (query, passage) pairs, "the" in both queries and "capital" (outside the memory) in the first. */
async function twoPairs(tok: Awaited<ReturnType<typeof loadTokenizer>>): Promise<{ b: ReturnType<typeof padBatch>; inputs: { inputIds: tf.Tensor2D; tokenTypeIds: tf.Tensor2D; attentionMask: tf.Tensor2D } }> {
  const pairs: Array<[string, string]> = [
    ['what is the capital of zambia', 'lusaka is the capital and largest city of zambia'],
    ['the symptoms of the flu', 'influenza causes fever, cough and the aches of the body'],
  ];
  const b = padBatch(await tok.encodePairs(pairs, { maxLength: 64 }), 0);
  const inputs = {
    inputIds: tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, [b.batch, b.seqLen], 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32'),
  };
  return { b, inputs };
}
/** R² of y's least-squares fit on the rows of X with an intercept (normal equations, Gauss–Jordan with partial pivoting). */
function linearR2(X: number[][], y: number[]): number {
  const d = (X[0] as number[]).length + 1;
  const A = Array.from({ length: d }, () => new Array<number>(d + 1).fill(0));
  X.forEach((x, i) => {
    const v = [1, ...x];
    for (let a = 0; a < d; a++) {
      for (let c = 0; c < d; c++) (A[a] as number[])[c] = ((A[a] as number[])[c] as number) + (v[a] as number) * (v[c] as number);
      (A[a] as number[])[d] = ((A[a] as number[])[d] as number) + (v[a] as number) * (y[i] as number);
    }
  });
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs((A[r] as number[])[c] as number) > Math.abs((A[p] as number[])[c] as number)) p = r;
    [A[c], A[p]] = [A[p] as number[], A[c] as number[]];
    const row = A[c] as number[];
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = ((A[r] as number[])[c] as number) / (row[c] as number);
      for (let k = c; k <= d; k++) (A[r] as number[])[k] = ((A[r] as number[])[k] as number) - f * (row[k] as number);
    }
  }
  const beta = A.map((r, a) => (r[d] as number) / (r[a] as number));
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  let se = 0;
  let ss = 0;
  X.forEach((x, i) => {
    const p = [1, ...x].reduce((s, v, a) => s + v * (beta[a] as number), 0);
    se += ((y[i] as number) - p) ** 2;
    ss += ((y[i] as number) - mean) ** 2;
  });
  return 1 - se / ss;
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => Array.from(a).reduce((s, x, i) => s + x * (b[i] as number), 0);

test('memory: m distinct tokens, [CLS] and [SEP] first, the most frequent English word in it', () => {
  expect(memory.length).toBe(64);
  expect(new Set(memory).size).toBe(64);
  expect(memory.slice(0, 2)).toEqual(['[CLS]', '[SEP]']);
  expect(memory).toContain('the');
  expect(meta.memory.map(([t]) => t)).toEqual(memory);
  // u(t) ≤ 0 in the memory: frequent words are discounted, never boosted.
  expect(meta.memory.every(([, u]) => u <= 0)).toBe(true);
});

/** Layer 1's key row 1 (head 0) is κ·w with |w| = 1, query bias[1] = κ, and no word or position row has a component along w (hidden size H). */
function expectReadsW(get: (n: string) => Float32Array, H: number): void {
  const kappa = Math.sqrt((8 * o.lam) / o.gain);
  const k1 = get('bert.encoder.layer.1.attention.self.key.weight').slice(H, 2 * H);
  expect(Math.sqrt(dot(k1, k1))).toBeCloseTo(kappa, 5);
  expect(get('bert.encoder.layer.1.attention.self.query.bias')[1]).toBeCloseTo(kappa, 6);
  const unitW = k1.map((x) => x / kappa);
  for (const name of ['bert.embeddings.word_embeddings.weight', 'bert.embeddings.position_embeddings.weight']) {
    const m = get(name);
    let worst = 0;
    for (let r = 0; r < m.length / H; r++) worst = Math.max(worst, Math.abs(dot(m.subarray(r * H, (r + 1) * H), unitW)));
    expect(worst).toBeLessThan(1e-5);
  }
}

/** Memory neurons j < 64 of layer 0: bias −s·θ, weight rows of norm s/√H. */
function expectMemoryRows(get: (n: string) => Float32Array, H: number, theta: number): void {
  const W1 = get('bert.encoder.layer.0.intermediate.dense.weight');
  const b1 = get('bert.encoder.layer.0.intermediate.dense.bias');
  for (let j = 0; j < 64; j++) {
    expect(b1[j]).toBeCloseTo(-o.s * theta, 4);
    const r = W1.subarray(j * H, (j + 1) * H);
    expect(Math.sqrt(dot(r, r))).toBeCloseTo(o.s / Math.sqrt(H), 4);
  }
}

test('layer 1 reads w with κ = √(8·lam/g); nothing else writes along w', () => {
  expectReadsW(get, H);
});

test('memory neurons: bias −s·θ, weight rows of norm s/√H', () => {
  expectMemoryRows(get, H, meta.theta);
});

/**
 * The model in `dir` on twoPairs: how often the memory neuron of "the" fires (pre-activation > 0) on
 * "the" and on words outside `memory`, and [CLS]'s layer-1 head-0 attention to pair 0's tokens.
 */
async function theNeuron(dir: string, memory: string[], layer = 0): Promise<{ the: [number, number]; outside: [number, number]; cls: Map<string, number> }> {
  const model = await loadModel(dir);
  const tok = await loadTokenizer(dir);
  const before = tf.memory().numTensors;
  const { b, inputs } = await twoPairs(tok);
  const r = runModel(model, inputs, { capture: [`layer.${layer}.ffn.pre`, `layer.${layer + 1}.attn.probs`] });
  const pre = r.captured.get(`layer.${layer}.ffn.pre`)?.dataSync() as Float32Array;
  const probs = r.captured.get(`layer.${layer + 1}.attn.probs`)?.arraySync() as number[][][][];
  disposeRun(r);
  tf.dispose(Object.values(inputs));
  expect(tf.memory().numTensors).toBe(before);
  const I = model.config.intermediateSizes[0] as number;
  disposeModel(model);
  const j = memory.indexOf('the');
  const inMemory = new Set(memory);
  const the: [number, number] = [0, 0];
  const outside: [number, number] = [0, 0];
  for (let p = 0; p < b.batch * b.seqLen; p++) {
    if (!b.attentionMask[p]) continue;
    const t = tok.idToToken(b.inputIds[p] as number) ?? '';
    const f = t === 'the' ? the : !inMemory.has(t) ? outside : undefined;
    if (f) (f[0] += 1), (f[1] += (pre[p * I + j] as number) > 0 ? 1 : 0);
  }
  const row = (probs[0] as number[][][])[0]?.[0] as number[];
  const cls = new Map<string, number>();
  for (let p = b.seqLen - 1; p >= 0; p--) cls.set(tok.idToToken(b.inputIds[p] as number) ?? '', row[p] as number);
  return { the, outside, cls };
}

/** theNeuron's counts: the neuron of "the" fires on every "the" (5 or more) and on none of 10 or more words outside the memory. */
function expectDetectsThe({ the, outside }: { the: [number, number]; outside: [number, number] }): void {
  expect(the[0]).toBeGreaterThanOrEqual(5);
  expect(the[1]).toBe(the[0]);
  expect(outside[0]).toBeGreaterThanOrEqual(10);
  expect(outside[1]).toBe(0);
}

test('the neuron of "the" fires on "the" and not on words outside the memory; [CLS] attends less to "the" than to "capital"', async () => {
  const r = await theNeuron(dir, memory);
  expectDetectsThe(r);
  // Pair 0's query: [CLS] what is the capital of zambia [SEP] …
  expect(new Set(memory).has('capital')).toBe(false);
  expect(r.cls.get('the')).toBeLessThan((r.cls.get('capital') as number) / 5);
}, 300_000);

/**
 * `base`: the memory put into a trained model (the embedded one, whose LayerNorms are trained). From
 * first principles: its neurons are copied into the widened FFNs (layer 0 behind the memory, layer 1
 * in front of fresh neurons that write nothing); with the memory's neurons silenced, nothing reaches
 * what layer 1's key row 1 reads (w · layer 0's output) at any position, so the chain of projections
 * through the three LayerNorms holds; and [CLS] attends less to a frequent query word than before.
 */
describe('with a trained base model', () => {
  const BASE = 'weights/celens-ce-tiny/stage4'; // the embedded model's stage 4: trained, FFN 512
  const M = 64;
  let bdir: string;
  let bw: Map<string, Float32Array>;
  let base: Map<string, Float32Array>;
  let bmemory: string[];
  /** The base's FFN width. */
  let I0: number;

  beforeAll(async () => {
    I0 = (JSON.parse(await readFile(join(BASE, 'config.json'), 'utf8')) as { intermediate_size: number }).intermediate_size;
    bdir = await mkdtemp(join(tmpdir(), 'celens-idf-base-'));
    await idfMemoryInit({ ...o, out: bdir, ffn: I0 + M, m: M, base: BASE });
    bw = new Map([...(await readSafetensors(join(bdir, 'model.safetensors'))).tensors].map(([n, t]) => [n, t.data as Float32Array]));
    base = new Map([...(await readSafetensors(join(BASE, 'model.safetensors'))).tensors].map(([n, t]) => [n, t.data as Float32Array]));
    bmemory = (await readFile(join(bdir, 'memory-tokens.txt'), 'utf8')).split('\n').filter((l) => l !== '');
  }, 300_000);
  afterAll(async () => {
    await rm(bdir, { recursive: true, force: true });
  });

  test('the base\'s FFN neurons are copied: layer 0 behind the memory, layer 1 first; fresh neurons write nothing', () => {
    const I = I0 + M;
    const l0 = bw.get('bert.encoder.layer.0.intermediate.dense.weight') as Float32Array;
    const g0 = base.get('bert.encoder.layer.0.intermediate.dense.weight') as Float32Array;
    expect(Array.from(l0.subarray(M * H, I * H))).toEqual(Array.from(g0));
    expect(Array.from((bw.get('bert.encoder.layer.0.intermediate.dense.bias') as Float32Array).subarray(M))).toEqual(Array.from(base.get('bert.encoder.layer.0.intermediate.dense.bias') as Float32Array));
    const l1 = bw.get('bert.encoder.layer.1.intermediate.dense.weight') as Float32Array;
    expect(Array.from(l1.subarray(0, I0 * H))).toEqual(Array.from(base.get('bert.encoder.layer.1.intermediate.dense.weight') as Float32Array));
    const W2 = bw.get('bert.encoder.layer.1.output.dense.weight') as Float32Array;
    const G2 = base.get('bert.encoder.layer.1.output.dense.weight') as Float32Array;
    for (let r = 0; r < H; r++) {
      expect(Array.from(W2.subarray(r * I, r * I + I0))).toEqual(Array.from(G2.subarray(r * I0, (r + 1) * I0)));
      expect(W2.subarray(r * I + I0, (r + 1) * I).every((x) => x === 0)).toBe(true);
    }
    // Attention and the classifier are the base's, but for layer 1's query row 1 / key row 1 and the projections.
    expect(Array.from(bw.get('classifier.weight') as Float32Array)).toEqual(Array.from(base.get('classifier.weight') as Float32Array));
    expect(Array.from(bw.get('bert.encoder.layer.1.attention.self.value.weight') as Float32Array)).toEqual(Array.from(base.get('bert.encoder.layer.1.attention.self.value.weight') as Float32Array));
    expect((bw.get('bert.encoder.layer.1.attention.self.query.weight') as Float32Array).subarray(H, 2 * H).every((x) => x === 0)).toBe(true);
  });

  test('with the memory silenced, w · (layer 0\'s output) is 0 at every position; with it, "the" is discounted', async () => {
    const model = await loadModel(bdir);
    const tok = await loadTokenizer(bdir);
    const kappa = Math.sqrt((8 * o.lam) / o.gain);
    const unitW = (bw.get('bert.encoder.layer.1.attention.self.key.weight') as Float32Array).slice(H, 2 * H).map((x) => x / kappa);
    expect(Math.sqrt(dot(unitW, unitW))).toBeCloseTo(1, 5);
    const before = tf.memory().numTensors;
    const { b, inputs } = await twoPairs(tok);
    const keep = tf.tensor1d(Array.from({ length: I0 + M }, (_v, j) => (j < M ? 0 : 1)));
    const silenced = runModel(model, inputs, { capture: ['layer.0.out'], interventions: { 'layer.0.ffn.post': (v) => tf.mul(v, keep) } });
    const out0 = silenced.captured.get('layer.0.out')?.dataSync() as Float32Array;
    disposeRun(silenced);
    const r = runModel(model, inputs, { capture: ['layer.0.out', 'layer.1.attn.probs'] });
    const out1 = r.captured.get('layer.0.out')?.dataSync() as Float32Array;
    const probs = r.captured.get('layer.1.attn.probs')?.arraySync() as number[][][][];
    disposeRun(r);
    tf.dispose([keep, ...Object.values(inputs)]);
    expect(tf.memory().numTensors).toBe(before);

    let worst = 0;
    let norm = 0;
    for (let p = 0; p < b.batch * b.seqLen; p++) {
      if (!b.attentionMask[p]) continue;
      const v = out0.subarray(p * H, (p + 1) * H);
      worst = Math.max(worst, Math.abs(dot(v, unitW)));
      norm = Math.max(norm, Math.sqrt(dot(v, v)));
    }
    expect(norm).toBeGreaterThan(5);
    expect(worst).toBeLessThan(1e-4 * norm);

    // With the memory: "the" (in the memory, u < 0) is read as negative, "capital" (not in it) near 0.
    const ids = Array.from(b.inputIds.subarray(0, b.seqLen), (i) => tok.idToToken(i) ?? '');
    expect(bmemory).toContain('the');
    expect(bmemory).not.toContain('capital');
    const at = (t: string): number => dot(out1.subarray(ids.indexOf(t) * H, (ids.indexOf(t) + 1) * H), unitW);
    expect(at('the')).toBeLessThan(-0.5);
    expect(Math.abs(at('capital'))).toBeLessThan(Math.abs(at('the')) / 5);
    const row = (probs[0] as number[][][])[0]?.[0] as number[];
    expect(row[ids.indexOf('the')]).toBeLessThan((row[ids.indexOf('capital')] as number) / 5);
    disposeModel(model);
  }, 300_000);
});

/**
 * `words`: the overlap circuit with a trained model's word embeddings. From first principles: every
 * row is the base's row, centred over the vocabulary and scaled by one factor (the random rows' mean
 * norm over the centred rows'), with w removed; so two words' cosine is the base's (but for w). And
 * the whitened detectors still tell tokens apart: the neuron of "the" fires on "the" and on no word
 * outside the memory.
 */
describe('with a trained model\'s word embeddings', () => {
  const WORDS = 'weights/celens-ce-tiny/stage4';
  const NAME = 'bert.embeddings.word_embeddings.weight';
  /** The mean of an embedding matrix's rows (what --words centres the rows about). */
  const vocabMean = (g: Float32Array): Float64Array => {
    const V = g.length / H;
    const mean = new Float64Array(H);
    for (let t = 0; t < V; t++) for (let k = 0; k < H; k++) mean[k] = (mean[k] as number) + (g[t * H + k] as number) / V;
    return mean;
  };
  let wdir: string;
  let ww: Map<string, Float32Array>;
  let wmemory: string[];
  let hybridDir: string | undefined;
  /** The words init with randomMemoryRows, built once for the tests that read it or compare against it. */
  let hybridBuilt: Promise<string> | undefined;
  const hybrid = (): Promise<string> =>
    (hybridBuilt ??= (async () => {
      const d = await mkdtemp(join(tmpdir(), 'celens-idf-hybrid-'));
      hybridDir = d;
      await idfMemoryInit({ ...o, out: d, words: WORDS, randomMemoryRows: true });
      return d;
    })());
  /** The FFN neurons whose output column of W2 ([H, I]) is not all zero. */
  const writers = (W2: Float32Array, I: number): number[] => {
    const cols = new Set<number>();
    for (let r = 0; r < H; r++) for (let j = 0; j < I; j++) if (W2[r * I + j] !== 0) cols.add(j);
    return [...cols].sort((a, b) => a - b);
  };

  beforeAll(async () => {
    wdir = await mkdtemp(join(tmpdir(), 'celens-idf-words-'));
    await idfMemoryInit({ ...o, out: wdir, words: WORDS });
    ww = new Map([...(await readSafetensors(join(wdir, 'model.safetensors'))).tensors].map(([n, t]) => [n, t.data as Float32Array]));
    wmemory = (await readFile(join(wdir, 'memory-tokens.txt'), 'utf8')).split('\n').filter((l) => l !== '');
  }, 300_000);
  afterAll(async () => {
    await rm(wdir, { recursive: true, force: true });
    if (hybridDir) await rm(hybridDir, { recursive: true, force: true });
  });

  /**
   * On "the", layer `layer`'s FFN adds Σ_j h_j·dW2[:, j] (dW2: what the meaning added to its output
   * dense): it points along the base's (centred) row of "the", at about the size of the token's own
   * (random, `rows`) row in the FFN input a = LN(Σ residual); outside the memory it adds nothing.
   */
  async function expectWritesMeaning(mdir: string, rows: Float32Array, layer: number, residual: SiteName[], dW2: Float32Array): Promise<void> {
    const I = o.ffn;
    const tok = await loadTokenizer(mdir);
    const model = await loadModel(mdir);
    const before = tf.memory().numTensors;
    const { b, inputs } = await twoPairs(tok);
    const r = runModel(model, inputs, { capture: [...residual, `layer.${layer}.ffn.post`] });
    const res = residual.map((n) => r.captured.get(n)?.dataSync() as Float32Array);
    const post = r.captured.get(`layer.${layer}.ffn.post`)?.dataSync() as Float32Array;
    disposeRun(r);
    tf.dispose(Object.values(inputs));
    expect(tf.memory().numTensors).toBe(before);
    disposeModel(model);
    const g = (await readSafetensors(join(WORDS, 'model.safetensors'))).tensors.get(NAME)?.data as Float32Array;
    const V = g.length / H;
    const theId = [...Array(V).keys()].find((t) => tok.idToToken(t) === 'the') as number;
    const mean = vocabMean(g);
    const gThe = Array.from({ length: H }, (_v, k) => (g[theId * H + k] as number) - (mean[k] as number));
    const eRow = rows.slice(theId * H, (theId + 1) * H);
    const eHat = eRow.map((x) => x / Math.sqrt(dot(eRow, eRow)));
    const inMemory = new Set(wmemory);
    const theSizes: number[] = [];
    const outside: number[] = [];
    for (let p = 0; p < b.batch * b.seqLen; p++) {
      if (!b.attentionMask[p]) continue;
      const added = Array.from({ length: H }, (_v, row) => {
        let s = 0;
        for (let j = 0; j < I; j++) s += (post[p * I + j] as number) * (dW2[row * I + j] as number);
        return s;
      });
      const size = Math.sqrt(dot(added, added));
      const t = tok.idToToken(b.inputIds[p] as number) ?? '';
      if (t === 'the') {
        expect(dot(added, gThe) / (size * Math.sqrt(dot(gThe, gThe)))).toBeGreaterThan(0.95);
        const x = Array.from({ length: H }, (_v, k) => res.reduce((a2, c) => a2 + (c[p * H + k] as number), 0));
        const m = x.reduce((a2, v) => a2 + v, 0) / H;
        const sd = Math.sqrt(x.reduce((a2, v) => a2 + (v - m) ** 2, 0) / H + 1e-12);
        const own = dot(x.map((v) => (v - m) / sd), eHat);
        expect(size / own).toBeGreaterThan(0.5);
        expect(size / own).toBeLessThan(2);
        theSizes.push(size);
      } else if (!inMemory.has(t)) outside.push(size);
    }
    expect(theSizes.length).toBeGreaterThanOrEqual(5);
    expect(outside.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...outside)).toBeLessThan(0.05 * Math.min(...theSizes));
  }

  test('every row is the base\'s, centred, scaled by one factor to the random rows\' norm, with w removed', async () => {
    const g = (await readSafetensors(join(WORDS, 'model.safetensors'))).tensors.get(NAME)?.data as Float32Array;
    const e = ww.get(NAME) as Float32Array;
    const V = e.length / H;
    const kappa = Math.sqrt((8 * o.lam) / o.gain);
    const unitW = (ww.get('bert.encoder.layer.1.attention.self.key.weight') as Float32Array).slice(H, 2 * H).map((x) => x / kappa);
    const mean = vocabMean(g);
    const ratios: number[] = [];
    let worstCos = 1;
    let norms = 0;
    for (let t = 0; t < V; t++) {
      const c = Array.from({ length: H }, (_v, k) => (g[t * H + k] as number) - (mean[k] as number));
      const cw = dot(c, unitW);
      const want = c.map((x, k) => x - cw * (unitW[k] as number));
      const got = e.subarray(t * H, (t + 1) * H);
      const n = Math.sqrt(dot(got, got));
      worstCos = Math.min(worstCos, dot(got, want) / (n * Math.sqrt(dot(want, want))));
      ratios.push(n / Math.sqrt(dot(want, want)));
      norms += n / V;
    }
    expect(worstCos).toBeGreaterThan(1 - 1e-5);
    const r0 = ratios.reduce((a, b) => a + b, 0) / V;
    expect(Math.max(...ratios.map((r) => Math.abs(r / r0 - 1)))).toBeLessThan(1e-4);
    // N(0, 0.02) rows of H entries have mean norm ≈ 0.02·√H; w takes one of H dimensions away.
    expect(norms).toBeGreaterThan(0.02 * Math.sqrt(H) * 0.97);
    expect(norms).toBeLessThan(0.02 * Math.sqrt(H) * 1.01);
  });

  test('with randomMemoryRows the memory\'s rows are the overlap circuit\'s random ones, every other row the base\'s', async () => {
    const hdir = await hybrid();
    const e = (await readSafetensors(join(hdir, 'model.safetensors'))).tensors.get(NAME)?.data as Float32Array;
    expect((await readFile(join(hdir, 'memory-tokens.txt'), 'utf8')).split('\n').filter((l) => l !== '')).toEqual(wmemory);
    const tok = await loadTokenizer(hdir);
    const names = new Set(wmemory);
    const inMemory = new Set([...Array(tok.vocabSize).keys()].filter((t) => names.has(tok.idToToken(t) ?? '')));
    expect(inMemory.size).toBe(64);
    const plain = get(NAME);
    const words = ww.get(NAME) as Float32Array;
    let fromPlain = 0;
    let fromWords = 0;
    for (let t = 0; t < e.length / H; t++) {
      const want = inMemory.has(t) ? plain : words;
      expect(Array.from(e.subarray(t * H, (t + 1) * H))).toEqual(Array.from(want.subarray(t * H, (t + 1) * H)));
      if (inMemory.has(t)) fromPlain++;
      else fromWords++;
    }
    expect(fromPlain).toBe(64);
    expect(fromWords).toBeGreaterThan(8000);
  }, 300_000);

  test('with idfFree the rows no longer predict idf linearly; without it they do', async () => {
    // idf over the training split's documents, from the files (as BM25 would count it).
    const tok = await loadTokenizer(wdir);
    const data = await loadTrainData(o.data, TRAIN_SPLIT);
    const df = new Float64Array(tok.vocabSize);
    let n = 0;
    for (const src of data.sources) for (const doc of await tok.encodeTexts(src.texts)) (n += 1), new Set(doc).forEach((t) => (df[t] = (df[t] as number) + 1));
    const seen = [...df.keys()].filter((t) => (df[t] as number) > 0);
    const idf = seen.map((t) => Math.log(n / (df[t] as number)));
    const hdir = await mkdtemp(join(tmpdir(), 'celens-idf-free-'));
    try {
      await idfMemoryInit({ ...o, out: hdir, words: WORDS, idfFree: 16 });
      const free = (await readSafetensors(join(hdir, 'model.safetensors'))).tensors.get(NAME)?.data as Float32Array;
      const r2 = (rows: Float32Array): number => linearR2(seen.map((t) => Array.from(rows.subarray(t * H, (t + 1) * H))), idf);
      expect(r2(ww.get(NAME) as Float32Array)).toBeGreaterThan(0.5);
      expect(r2(free)).toBeLessThan(0.01);
    } finally {
      await rm(hdir, { recursive: true, force: true });
    }
  }, 300_000);

  test('with equalNorms every row keeps the base\'s direction at one norm; without it the rows\' norms spread', async () => {
    const edir = await mkdtemp(join(tmpdir(), 'celens-idf-equal-'));
    try {
      await idfMemoryInit({ ...o, out: edir, words: WORDS, equalNorms: true });
      const e = (await readSafetensors(join(edir, 'model.safetensors'))).tensors.get(NAME)?.data as Float32Array;
      const plain = ww.get(NAME) as Float32Array;
      const norms = (m: Float32Array): number[] => Array.from({ length: m.length / H }, (_v, t) => Math.sqrt(dot(m.subarray(t * H, (t + 1) * H), m.subarray(t * H, (t + 1) * H))));
      const en = norms(e);
      const pn = norms(plain);
      // N(0, 0.02) rows of H entries: mean norm ≈ 0.02·√H; w takes at most a few per cent of a row.
      for (const n of en) {
        expect(n).toBeGreaterThan(0.02 * Math.sqrt(H) * 0.9);
        expect(n).toBeLessThan(0.02 * Math.sqrt(H) * 1.01);
      }
      expect(Math.max(...pn) / Math.min(...pn)).toBeGreaterThan(3);
      // Same directions as the one-factor rows (both are the base's centred rows with w removed).
      let worst = 1;
      for (let t = 0; t < en.length; t++) worst = Math.min(worst, dot(e.subarray(t * H, (t + 1) * H), plain.subarray(t * H, (t + 1) * H)) / ((en[t] as number) * (pn[t] as number)));
      expect(worst).toBeGreaterThan(0.999);
    } finally {
      await rm(edir, { recursive: true, force: true });
    }
  }, 300_000);

  test('with memoryMeaning the memory\'s neurons write their token\'s base row at its own row\'s size; nothing else changes', async () => {
    const hdir = await hybrid();
    const mdir = await mkdtemp(join(tmpdir(), 'celens-idf-meaning-'));
    try {
      await idfMemoryInit({ ...o, out: mdir, words: WORDS, randomMemoryRows: true, memoryMeaning: 1 });
      const hs = (await readSafetensors(join(hdir, 'model.safetensors'))).tensors;
      const ms = (await readSafetensors(join(mdir, 'model.safetensors'))).tensors;
      const W2N = 'bert.encoder.layer.0.output.dense.weight';
      for (const [n, t] of hs) if (n !== W2N) expect(Array.from(ms.get(n)?.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
      const I = o.ffn;
      const hW2 = hs.get(W2N)?.data as Float32Array;
      const dW2 = Float32Array.from(ms.get(W2N)?.data as Float32Array, (x, i) => x - (hW2[i] as number));
      // Only the memory's columns change, and not those of [CLS] and [SEP].
      expect(writers(dW2, I)).toEqual([...Array(62).keys()].map((j) => j + 2));

      // On "the", the FFN's added output Σ_j h_j·ΔW2[:, j] points along the base's (centred) row of "the",
      // at about the size of the random row's part of the FFN input a = LN(e + attention).
      await expectWritesMeaning(mdir, ms.get(NAME)?.data as Float32Array, 0, ['embeddings', 'layer.0.attn.out'], dW2);
    } finally {
      await rm(mdir, { recursive: true, force: true });
    }
  }, 300_000);

  test('with meaningLayer a layer before the circuit writes the memory tokens\' base rows; the circuit moves up one layer', async () => {
    const hdir = await hybrid();
    const mdir = await mkdtemp(join(tmpdir(), 'celens-idf-layer-'));
    try {
      await idfMemoryInit({ ...o, out: mdir, words: WORDS, randomMemoryRows: true, meaningLayer: 1 });
      expect((JSON.parse(await readFile(join(mdir, 'config.json'), 'utf8')) as { num_hidden_layers: number }).num_hidden_layers).toBe(3);
      const hs = (await readSafetensors(join(hdir, 'model.safetensors'))).tensors;
      const ms = (await readSafetensors(join(mdir, 'model.safetensors'))).tensors;
      const data = (n: string): number[] => Array.from(ms.get(n)?.data as Float32Array);
      // Outside the encoder, and the circuit's attention (layer 2's key row 1 = κ·w included), as in two layers, one layer up.
      let compared = 0;
      for (const [n, t] of hs) {
        const m = /^bert\.encoder\.layer\.(\d+)\.(.+)$/.exec(n);
        const to = !m ? n : m[2]?.startsWith('attention.') ? `bert.encoder.layer.${Number(m[1]) + 1}.${m[2]}` : undefined;
        if (to) expect(data(to)).toEqual(Array.from(t.data as Float32Array)), compared++;
      }
      expect(compared).toBeGreaterThan(20);
      // Layer 0's attention writes nothing, and of its FFN only the memory's neurons but [CLS]'s and [SEP]'s write.
      const p0 = 'bert.encoder.layer.0';
      for (const n of [`${p0}.attention.output.dense.weight`, `${p0}.attention.output.dense.bias`, `${p0}.output.dense.bias`]) expect(data(n).every((x) => x === 0)).toBe(true);
      const I = o.ffn;
      const W2 = ms.get(`${p0}.output.dense.weight`)?.data as Float32Array;
      expect(writers(W2, I)).toEqual([...Array(62).keys()].map((j) => j + 2));
      await expectWritesMeaning(mdir, ms.get(NAME)?.data as Float32Array, 0, ['embeddings', 'layer.0.attn.out'], W2);
      // Both memories know "the": the meaning layer's neuron (on the embeddings) and the idf memory's (on layer 1's FFN input).
      for (const layer of [0, 1]) {
        expectDetectsThe(await theNeuron(mdir, wmemory, layer));
      }
    } finally {
      await rm(mdir, { recursive: true, force: true });
    }
  }, 300_000);

  test('the neuron of "the" fires on "the" and not on words outside the memory', async () => {
    expectDetectsThe(await theNeuron(wdir, wmemory));
  }, 300_000);
});

/**
 * `layers`, `hidden`, `heads`: the circuit and the memory in a larger model (4 layers × hidden 64 ×
 * 4 heads here, small enough to run fast). The same first principles as the default shape, with H = 64
 * and head 0 of 16 dimensions: layer 1's key row 1 is κ·w and no word or position row carries w,
 * memory rows have norm s/√64, the neuron of "the" fires on it alone, and [CLS] discounts "the".
 */
describe('at another shape', () => {
  const H4 = 64;
  let sdir: string;
  let sw: Map<string, Float32Array>;
  let smemory: string[];
  let smeta: { theta: number };

  beforeAll(async () => {
    sdir = await mkdtemp(join(tmpdir(), 'celens-idf-shape-'));
    await idfMemoryInit({ ...o, out: sdir, layers: 4, hidden: H4, heads: 4 });
    sw = new Map([...(await readSafetensors(join(sdir, 'model.safetensors'))).tensors].map(([n, t]) => [n, t.data as Float32Array]));
    smemory = (await readFile(join(sdir, 'memory-tokens.txt'), 'utf8')).split('\n').filter((l) => l !== '');
    smeta = JSON.parse(await readFile(join(sdir, 'idf-init.json'), 'utf8')) as typeof smeta;
  }, 300_000);
  afterAll(async () => {
    await rm(sdir, { recursive: true, force: true });
  });

  test('config.json has the shape; layer 1 reads w with κ and nothing else writes along w; memory rows have norm s/√H', async () => {
    const c = JSON.parse(await readFile(join(sdir, 'config.json'), 'utf8')) as Record<string, number>;
    expect([c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.intermediate_size]).toEqual([4, H4, 4, o.ffn]);
    expect(sw.get('bert.encoder.layer.3.intermediate.dense.weight')?.length).toBe(o.ffn * H4);
    const sget = (n: string): Float32Array => sw.get(n) as Float32Array;
    expectReadsW(sget, H4);
    expectMemoryRows(sget, H4, smeta.theta);
  });

  test('the neuron of "the" fires on "the" and not on words outside the memory; [CLS] discounts "the"', async () => {
    const r = await theNeuron(sdir, smemory);
    expectDetectsThe(r);
    expect(r.cls.get('the')).toBeLessThan((r.cls.get('capital') as number) / 5);
  }, 300_000);

  test('a shape the circuit cannot take is refused before any work', async () => {
    await expect(idfMemoryInit({ ...o, out: sdir, layers: 1 })).rejects.toThrow(/--layers 1 .*≥ 2 layers/);
    await expect(idfMemoryInit({ ...o, out: sdir, hidden: 66, heads: 4 })).rejects.toThrow(/--hidden 66 --heads 4/);
  });
});
