/**
 * The embedded model's starting point: the lexical-overlap circuit (./overlap-init.ts) plus an IDF
 * key-value memory in layer 0's FFN, read by layer 1's [CLS] head as an attention weight over the
 * query tokens. Training (scripts/train-cross-encoder.ts --init-from OUT --freeze-rows
 * bert.embeddings.word_embeddings.weight=OUT/memory-tokens.txt) starts from here; docs/training.md
 * says why (a model whose FFN carries the ranking, issue 13).
 *
 *   node dist-all/scripts/idf-memory-init.js OUT      # the committed model's init (defaults = its recipe)
 *
 * 1. df of every wordpiece over the training split's documents (TRAIN_SPLIT; MEDLINE never read),
 *    idf = log(N/df), standardised over token occurrences.
 * 2. randomStateDict + overlapInit, as the trainer builds them at step 0 (same seed).
 * 3. A unit direction w ⟂ d, z, y (overlap-init's directions), removed from the word and position
 *    embeddings and from layer 0's attention-output and FFN-output denses, so that only the memory
 *    writes along w.
 * 4. Layer-0 FFN: neuron j detects token t_j, for the m tokens of the memory ([CLS], [SEP] and the
 *    m − 2 tokens of highest df seen ≥ minc times in a sample of training pairs): W1 row = s·k̂_j/√H
 *    (k_j = mean FFN input of t_j over the sample, ⟂ d, z), b1 = −s·θ (θ halfway between a token's
 *    own-key cosine, 1st percentile, and the best other key's, 99.9th). W2 += g·w ⊗ β, β ridge-regressed
 *    so that h·β ≈ u(t) = min(0, idf_std(t) − base) (base: idf_std of the memory's last token;
 *    −3 for [CLS] and [SEP]).
 * 5. Layer 1, head 0: key row 1 = κ·w and query bias[1] = κ with κ = √(8·lam/g), so that [CLS]'s
 *    attention logit to a token grows by ≈ lam·u(t): frequent query words count less.
 *
 * --base DIR puts the memory into a trained model instead of the overlap circuit (`baseState`): its
 * weights are kept, w is cleared through its trained LayerNorms, its FFN neurons move behind the
 * memory, and the keys are whitened (Σ⁻¹μ_j), since a trained model's FFN inputs cluster by meaning.
 *
 * --words DIR keeps the overlap circuit but takes the word embeddings from a trained model (centred,
 * scaled to the random rows' norm), so that the frozen memory rows and every other word start with
 * that model's word meaning; the keys are whitened as with --base.
 *
 * --meaning-layer G (with --words --random-memory-rows) adds a layer before the circuit (which moves
 * to layers 1 and 2): its attention writes nothing, and its FFN detects each memory token in the
 * embeddings and writes that token's --words row, so a frequent word's meaning is in the residual
 * before the circuit's same-word head matches query and passage. Train it with --layers 3.
 *
 * Writes OUT/{config.json, model.safetensors, tokenizer files, idf-init.json, memory-tokens.txt};
 * memory-tokens.txt (one token a line) is what --freeze-rows pins. Deterministic.
 */
import * as tf from '../src/backend/tf.js';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { selectBackend } from '../src/backend/select.js';
import { disposeRun, runModel } from '../src/hooks/run.js';
import { TOKENIZER_FILES } from '../src/tokenize/files.js';
import { loadTokenizer } from '../src/tokenize/load.js';
import { padBatch } from '../src/tokenize/encode.js';
import type { SiteName } from '../src/model/sites.js';
import type { PairEncoding } from '../src/tokenize/tokenizer.js';
import { trainableBert } from '../src/training/trainable.js';
import { parseConfig } from '../src/weights/config.js';
import { readSafetensors } from '../src/weights/safetensors.js';
import { writeSafetensors } from '../src/weights/safetensors-write.js';
import type { TensorToWrite } from '../src/weights/safetensors-write.js';
import { exists } from '../src/weights/sharded.js';
import { configJson, fnv1a, randomStateDict, Xoshiro128 } from './make-random-model.js';
import type { ModelShape } from './make-random-model.js';
import { overlapDirections, overlapInit } from './overlap-init.js';
import { loadTrainData, makeGroup, TRAIN_SPLIT } from './train-data.js';

export interface IdfMemoryOptions {
  out: string;
  data: string;
  /** Folder whose vocab.txt (and tokenizer files) the model uses. */
  tokenizer: string;
  seed: number;
  /** FFN width of both layers (the trainer's --ffn). */
  ffn: number;
  /** Memory neurons (≤ the FFN width). */
  m: number;
  /** Sharpness s of the token detectors. */
  s: number;
  /** θ; NaN: halfway between own-key and other-key cosines. */
  theta: number;
  /** Gain g of the memory's write along w. */
  gain: number;
  /** λ: [CLS]'s attention logit moves by ≈ λ·u(t). */
  lam: number;
  /** Ridge penalty of β, and the weight of query positions in its fit. */
  ridge: number;
  queryWeight: number;
  /** A token joins the memory only when seen this often in the sample. */
  minCount: number;
  /** Steps of 8 stage-2 groups sampled for the keys and the fit. */
  sampleSteps: number;
  /**
   * A trained model (of the --layers/--hidden/--heads shape, the tokenizer's vocabulary) to put the memory
   * into instead of the overlap circuit: its weights are kept (but for the one direction the memory
   * writes along), its FFN neurons move to slots m… of layer 0 and stay at 0… of later layers, and
   * the new slots start with no output. See `baseState`.
   */
  base?: string;
  /**
   * A trained model with the tokenizer's vocabulary and the same hidden size whose word embeddings replace the
   * overlap circuit's random ones (centred over the vocabulary, scaled to the random rows' mean norm):
   * the circuit and the memory as without it, but the frozen memory rows and every other row start
   * with the base's word meaning. Keys are whitened, as with --base. Not with --base.
   */
  words?: string;
  /** With `words`: the memory's tokens keep their random rows (no frequency a head could read from them but the memory's). */
  randomMemoryRows?: boolean;
  /** With `words`: this many idf-predicting directions are taken out of every row (removeIdf). */
  idfFree?: number;
  /**
   * With `words` and `randomMemoryRows`: each memory neuron also writes its token's meaning (the
   * `words` row, ⟂ the circuit's directions and w) into the residual, at this many times the size of
   * the token's own random row in layer 0's FFN input. The frequent words' meaning then lives in the
   * memory's neurons, not in frozen rows. 0: off.
   */
  memoryMeaning?: number;
  /**
   * With `words`: every row is scaled to the same norm (the random rows' mean) instead of all by one
   * factor. A trained model's frequent words have the longest rows (G: "the" 0.91, the mean 0.29), and
   * a long row is a frequency cue the overlap circuit reads without the memory (the type signal of a
   * long row's embedding is smaller after LayerNorm): with equal norms only the rows' directions, their
   * meaning, stay. (Run w5, docs/training.md: the FFN's share does not grow with it.)
   */
  equalNorms?: boolean;
  /**
   * With `words` and `randomMemoryRows`: a third layer before the circuit (which moves to layers 1
   * and 2) whose attention writes nothing and whose FFN is a meaning memory: neuron j detects memory
   * token t_j in the embeddings and writes its `words` row (as `memoryMeaning` does, at this many times
   * the size of the token's random row), so that the frequent words' meaning is in the residual before
   * the circuit's same-word head matches query and passage. 0: off (two layers).
   */
  meaningLayer?: number;
  /** The model's shape (the trainer's --layers, --hidden, --heads; defaults 2, 128, 2): the circuit is in layers 0 and 1, later layers start random. */
  layers?: number;
  hidden?: number;
  heads?: number;
}

/** The sample's seed (another than training's steps draw). */
const SAMPLE_SEED = 777;

/** v made ⟂ each of `us` (twice, for rounding), centred and normalised. */
function orthonormalise(v: Float32Array, us: Float32Array[]): Float32Array {
  const o = Float32Array.from(v);
  removeComponents(o, us);
  let mean = 0;
  for (let i = 0; i < o.length; i++) mean += o[i]! / o.length;
  let n = 0;
  for (let i = 0; i < o.length; i++) n += (o[i]! - mean) ** 2;
  n = Math.sqrt(n);
  for (let i = 0; i < o.length; i++) o[i] = (o[i]! - mean) / n;
  return o;
}

/** o ← o with its components along each unit u of `us` removed, twice (for rounding), in place. */
function removeComponents(o: Float32Array, us: Float32Array[]): void {
  for (let it = 0; it < 2; it++)
    for (const u of us) {
      let dot = 0;
      for (let i = 0; i < o.length; i++) dot += o[i]! * u[i]!;
      for (let i = 0; i < o.length; i++) o[i] = o[i]! - dot * u[i]!;
    }
}

/** Removes the component along unit u from every row (length H) of a row-major matrix. */
function projectRows(m: Float32Array, u: Float32Array): void {
  const H = u.length;
  for (let r = 0; r < m.length / H; r++) {
    let dot = 0;
    for (let i = 0; i < H; i++) dot += m[r * H + i]! * u[i]!;
    for (let i = 0; i < H; i++) m[r * H + i] = m[r * H + i]! - dot * u[i]!;
  }
}

/** HF [out, in] layout: removes the output along u, W ← (I − u uᵀ) W. */
function projectOut(m: Float32Array, rows: number, cols: number, u: Float32Array): void {
  for (let c = 0; c < cols; c++) {
    let dot = 0;
    for (let r = 0; r < rows; r++) dot += u[r]! * m[r * cols + c]!;
    for (let r = 0; r < rows; r++) m[r * cols + c] = m[r * cols + c]! - dot * u[r]!;
  }
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): features for the ridge fit only, not the model's GELU. */
function erf(x: number): number {
  const s = Math.sign(x);
  x = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return s * y;
}
const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

/** Cholesky solve of (A + λI) x = b, A symmetric n×n (row-major). */
function ridgeSolve(A: Float64Array, b: Float64Array, n: number, lam: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]! + (i === j ? lam : 0);
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/** LayerNorm with weight 1, bias 0 (layer 0's at initialisation), or with the given ones. */
function layerNorm(v: Float32Array, gamma?: Float32Array, beta?: Float32Array): Float32Array {
  let m = 0;
  for (const x of v) m += x / v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2 / v.length;
  const r = 1 / Math.sqrt(s + 1e-12);
  if (!gamma || !beta) return Float32Array.from(v, (x) => (x - m) * r);
  return Float32Array.from(v, (x, i) => (x - m) * r * gamma[i]! + beta[i]!);
}

function unit(v: Float32Array): Float32Array {
  const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return Float32Array.from(v, (x) => x / n);
}

/** Gram–Schmidt: an orthonormal basis of the span of `vs` (each assumed independent of the ones before). */
function orthoBasis(vs: Float32Array[]): Float32Array[] {
  const out: Float32Array[] = [];
  for (const v of vs) {
    const o = Float32Array.from(v);
    removeComponents(o, out);
    out.push(unit(o));
  }
  return out;
}

const mul = (a: Float32Array, b: Float32Array): Float32Array => Float32Array.from(a, (x, i) => x * b[i]!);

/**
 * A trained model as the memory's host (IdfMemoryOptions.base): its state dict with the FFNs widened
 * to `I` and one direction w cleared so that only the memory writes what layer 1's key row 1 reads.
 *
 * The LayerNorms are trained (weights γ, biases β), so "only the memory writes along w" is a chain:
 * layer 1 reads w·LN_o(v) = (γo⊙w)·(v − v̄)/σ + w·βo, so w ⟂ γo, βo ⟂ w and everything in v = a +
 * FFN₀(a) but the memory ⟂ w3 = γo⊙w; a = LN_a(y) needs w ⟂ γa⊙γo, βa ⟂ w3 and y ⟂ w2 = γa⊙w3; y =
 * x₀ + attention needs the attention output dense ⟂ w2 and x₀ = LN_e(e) needs w ⟂ γe⊙γa⊙γo, βe ⟂
 * w2 and every embedding row ⟂ w1 = γe⊙w2. With every γ = 1 and β = 0 this is the overlap path's w.
 * Returns w and the memory's write direction q = w3/|w3|² (so that w3·q = 1).
 */
function baseState(init: Map<string, TensorToWrite>, I: number, M: number, I0: number, numLayers: number, seed: number): { w: Float32Array; q: Float32Array } {
  const get = (n: string): Float32Array => init.get(n)!.data as Float32Array;
  const ge = get('bert.embeddings.LayerNorm.weight');
  const H = ge.length;
  const ga = get('bert.encoder.layer.0.attention.output.LayerNorm.weight');
  const go = get('bert.encoder.layer.0.output.LayerNorm.weight');
  const wr = new Xoshiro128(seed, fnv1a('celens.idf-init'));
  const basis = orthoBasis([new Float32Array(H).fill(1), go, mul(ga, go), mul(ge, mul(ga, go))]);
  const w = orthonormalise(Float32Array.from({ length: H }, () => wr.nextNormal()), basis);
  const w3 = mul(go, w);
  const w2 = mul(ga, w3);
  const w1 = mul(ge, w2);
  for (const n of ['word_embeddings', 'position_embeddings', 'token_type_embeddings']) projectRows(get(`bert.embeddings.${n}.weight`), unit(w1));
  projectRows(get('bert.embeddings.LayerNorm.bias'), unit(w2));
  projectOut(get('bert.encoder.layer.0.attention.output.dense.weight'), H, H, unit(w2));
  projectRows(get('bert.encoder.layer.0.attention.output.dense.bias'), unit(w2));
  projectRows(get('bert.encoder.layer.0.attention.output.LayerNorm.bias'), unit(w3));
  projectRows(get('bert.encoder.layer.0.output.LayerNorm.bias'), unit(w));
  // The FFNs, widened: layer 0 = [memory (M) | the base's neurons (I0) | fresh], later layers = [the base's | fresh];
  // fresh neurons have random input weights and no output (W2 columns 0), so the function is the base's.
  const grow = new Xoshiro128(seed, fnv1a('celens.idf-init.grow'));
  for (let l = 0; l < numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const W1 = get(`${p}.intermediate.dense.weight`);
    const b1 = get(`${p}.intermediate.dense.bias`);
    const W2 = get(`${p}.output.dense.weight`);
    const at = l === 0 ? M : 0;
    const nW1 = new Float32Array(I * H);
    const nb1 = new Float32Array(I);
    const nW2 = new Float32Array(H * I);
    for (let j = 0; j < I; j++) {
      const from = j - at;
      if (from >= 0 && from < I0) {
        nW1.set(W1.subarray(from * H, (from + 1) * H), j * H);
        nb1[j] = b1[from]!;
        for (let r = 0; r < H; r++) nW2[r * I + j] = W2[r * I0 + from]!;
      } else if (l > 0 || j >= M) {
        for (let k = 0; k < H; k++) nW1[j * H + k] = grow.nextNormal() * 0.02;
      }
    }
    if (l === 0) {
      projectOut(nW2, H, I, unit(w3));
      projectRows(get(`${p}.output.dense.bias`), unit(w3));
    }
    init.set(`${p}.intermediate.dense.weight`, { dtype: 'F32', shape: [I, H], data: nW1 });
    init.set(`${p}.intermediate.dense.bias`, { dtype: 'F32', shape: [I], data: nb1 });
    init.set(`${p}.output.dense.weight`, { dtype: 'F32', shape: [H, I], data: nW2 });
  }
  const n3 = w3.reduce((a, x) => a + x * x, 0);
  return { w, q: Float32Array.from(w3, (x) => x / n3) };
}

/**
 * IdfMemoryOptions.words: the word embeddings of a trained model in place of the random ones, centred
 * over the vocabulary (a direction every row shares would make every token attend to every other in
 * the circuit's same-word head) and scaled to the random rows' mean norm (the circuit's type and
 * position amplitudes are set against it).
 */
async function wordsFrom(
  init: Map<string, TensorToWrite>,
  dir: string,
  V: number,
  keep?: ReadonlySet<number>,
  idfFree?: { k: number; idfStd: Float64Array; seen: (t: number) => boolean; log: (s: string) => void },
  equalNorms = false,
): Promise<Float32Array> {
  const name = 'bert.embeddings.word_embeddings.weight';
  const H = init.get(name)!.shape[1]!;
  const f = (await readSafetensors(join(dir, 'model.safetensors'))).tensors.get(name);
  if (!f || f.shape.join('x') !== `${V}x${H}`) throw new Error(`--words ${dir}: ${name} is ${f ? f.shape.join('x') : 'missing'} in model.safetensors, needs ${V}x${H}`);
  const src = f.data as Float32Array;
  const mean = new Float64Array(H);
  for (let t = 0; t < V; t++) for (let k = 0; k < H; k++) mean[k]! += src[t * H + k]! / V;
  const dst = init.get(name)!.data as Float32Array;
  const meanNorm = (m: ArrayLike<number>, c?: Float64Array): number => {
    let s = 0;
    for (let t = 0; t < V; t++) {
      let n = 0;
      for (let k = 0; k < H; k++) n += (m[t * H + k]! - (c ? c[k]! : 0)) ** 2;
      s += Math.sqrt(n) / V;
    }
    return s;
  };
  const scale = meanNorm(dst) / meanNorm(src, mean);
  const rows = new Float32Array(V * H);
  for (let t = 0; t < V; t++) for (let k = 0; k < H; k++) rows[t * H + k] = (src[t * H + k]! - mean[k]!) * scale;
  if (equalNorms) {
    const target = meanNorm(dst);
    for (let t = 0; t < V; t++) {
      const r = rows.subarray(t * H, (t + 1) * H);
      const n = Math.sqrt(r.reduce((a, x) => a + x * x, 0));
      if (n > 0) for (let k = 0; k < H; k++) r[k] = (r[k]! * target) / n;
    }
  }
  if (idfFree) removeIdf(rows, V, idfFree.idfStd, idfFree.seen, idfFree.k, idfFree.log);
  for (let t = 0; t < V; t++) if (!keep?.has(t)) dst.set(rows.subarray(t * H, (t + 1) * H), t * H);
  return rows;
}

/**
 * Takes from every row the k directions that predict a token's idf best, one at a time (ridge over the
 * tokens seen in training, then the direction removed, then again): a frozen row keeps its meaning but
 * no linear read-out of its frequency, which only the memory then gives.
 */
function removeIdf(rows: Float32Array, V: number, idfStd: Float64Array, seen: (t: number) => boolean, k: number, log: (s: string) => void): void {
  const H = rows.length / V;
  const toks = [...Array(V).keys()].filter(seen);
  let ym = 0;
  for (const t of toks) ym += idfStd[t]! / toks.length;
  const r2s: string[] = [];
  for (let i = 0; i <= k; i++) {
    const A = new Float64Array(H * H);
    const b = new Float64Array(H);
    for (const t of toks) {
      const x = rows.subarray(t * H, (t + 1) * H);
      for (let a = 0; a < H; a++) {
        b[a]! += x[a]! * (idfStd[t]! - ym);
        for (let c = 0; c < H; c++) A[a * H + c]! += x[a]! * x[c]!;
      }
    }
    let tr = 0;
    for (let a = 0; a < H; a++) tr += A[a * H + a]!;
    const beta = ridgeSolve(A, b, H, (1e-3 * tr) / H);
    let se = 0;
    let ss = 0;
    for (const t of toks) {
      let p = 0;
      for (let a = 0; a < H; a++) p += rows[t * H + a]! * beta[a]!;
      se += (idfStd[t]! - ym - p) ** 2;
      ss += (idfStd[t]! - ym) ** 2;
    }
    r2s.push((1 - se / ss).toFixed(3));
    if (i === k) break;
    projectRows(rows, unit(Float32Array.from(beta)));
  }
  log(`idf from the word rows, linear R² as directions are removed: ${r2s.join(' → ')}`);
}

/**
 * IdfMemoryOptions.memoryMeaning: memory neuron j writes unit(m_t)·c_t·gain/h̄_j into the residual,
 * m_t = token t_j's `words` row ⟂ `basis` (the circuit's directions and w), c_t = the mean size of
 * t_j's own (random, frozen) row in layer 0's FFN input (a·ê_t over its sample positions), h̄_j =
 * neuron j's mean activation there: on t_j the FFN adds its meaning at the size its identity has.
 */
function writeMeaning(
  W2: Float32Array,
  I: number,
  mem: readonly number[],
  rows: Float32Array,
  emb: Float32Array,
  pos: ReadonlyArray<{ tok: number; a: Float32Array }>,
  feat: (a: Float32Array, j: number) => number,
  basis: Float32Array[],
  gain: number,
  log: (s: string) => void,
): void {
  const B = orthoBasis(basis);
  const H = W2.length / I;
  const M = mem.length;
  const memIndex = new Map(mem.map((t, j) => [t, j]));
  const c = new Float64Array(M);
  const h = new Float64Array(M);
  const n = new Float64Array(M);
  const eh = mem.map((t) => unit(emb.slice(t * H, (t + 1) * H)));
  for (const p of pos) {
    const j = memIndex.get(p.tok);
    if (j === undefined) continue;
    let s = 0;
    for (let k = 0; k < H; k++) s += p.a[k]! * eh[j]![k]!;
    c[j]! += s;
    h[j]! += feat(p.a, j);
    n[j]!++;
  }
  let written = 0;
  let meanC = 0;
  for (let j = 2; j < M; j++) {
    if (!n[j] || h[j]! <= 0) continue;
    const m = rows.slice(mem[j]! * H, (mem[j]! + 1) * H);
    removeComponents(m, B);
    const u = unit(m);
    const f = (gain * c[j]!) / h[j]!;
    for (let r = 0; r < H; r++) W2[r * I + j] = W2[r * I + j]! + f * u[r]!;
    written++;
    meanC += c[j]! / n[j]!;
  }
  log(`memory meaning: ${written} of ${M - 2} memory neurons write their token's --words row (mean own-row size in the FFN input ${(meanC / Math.max(1, written)).toFixed(3)})`);
}

const quantile = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))]!;

/**
 * Detector keys for the memory's tokens from FFN inputs `pos` (centred already where `whiten`): mean
 * keys ⟂ keyBasis, or whitened ones (k_j ∝ Σ⁻¹μ_j, a linear discriminant, scaled so that a token's
 * mean response to its own key is 1); θ halfway between a token's own-key cosine (1st percentile) and
 * the best other key's (99.9th).
 */
function detectorKeys(
  pos: ReadonlyArray<{ tok: number; a: Float32Array }>,
  mem: readonly number[],
  whiten: boolean,
  keyBasis: Float32Array[],
  thetaOpt: number,
): { khat: Float32Array[]; theta: number; selfP1: number; otherP999: number } {
  const M = mem.length;
  const H = pos[0]!.a.length;
  const memIndex = new Map(mem.map((t, j) => [t, j]));
  const keys = mem.map(() => new Float64Array(H));
  const counts = new Float64Array(M);
  for (const p of pos) {
    const j = memIndex.get(p.tok);
    if (j !== undefined) {
      counts[j]!++;
      for (let k = 0; k < H; k++) keys[j]![k]! += p.a[k]!;
    }
  }
  let khat: Float32Array[];
  if (!whiten) khat = keys.map((k) => orthonormalise(Float32Array.from(k), keyBasis));
  else {
    // A trained model's FFN inputs cluster by meaning and carry context, so mean keys are not specific
    // enough (G: own-key cosine p1 0.67 against best other key p99.9 0.88). Whitened keys instead (a
    // linear discriminant): k_j ∝ Σ⁻¹μ_j, scaled so that a token's mean response to its own key is 1.
    const cov = new Float64Array(H * H);
    for (const p of pos) for (let i = 0; i < H; i++) for (let k = 0; k < H; k++) cov[i * H + k]! += (p.a[i]! * p.a[k]!) / pos.length;
    let tr = 0;
    for (let i = 0; i < H; i++) tr += cov[i * H + i]!;
    khat = keys.map((k, j) => {
      const mu = Float64Array.from(k, (x) => x / counts[j]!);
      const v = ridgeSolve(cov, mu, H, (1e-3 * tr) / H);
      // With the overlap circuit the keys stay ⟂ its match features d, z (keyBasis; none with --base).
      const u: ArrayLike<number> = keyBasis.length ? orthonormalise(Float32Array.from(v), keyBasis) : v;
      let c = 0;
      for (let i = 0; i < H; i++) c += u[i]! * mu[i]!;
      return Float32Array.from(u, (x) => (x * Math.sqrt(H)) / c);
    });
  }
  const cosOf = (a: Float32Array, k: Float32Array): number => {
    let s = 0;
    for (let i = 0; i < H; i++) s += a[i]! * k[i]!;
    return s / Math.sqrt(H);
  };
  const selfCos: number[] = [];
  const otherMax: number[] = [];
  for (let i = 0; i < pos.length; i += 7) {
    const p = pos[i]!;
    let best = -1;
    for (let j = 0; j < M; j++) {
      const c = cosOf(p.a, khat[j]!);
      if (mem[j] === p.tok) selfCos.push(c);
      else best = Math.max(best, c);
    }
    otherMax.push(best);
  }
  const selfP1 = quantile(selfCos, 0.01);
  const otherP999 = quantile(otherMax, 0.999);
  return { khat, theta: Number.isNaN(thetaOpt) ? (selfP1 + otherP999) / 2 : thetaOpt, selfP1, otherP999 };
}

/**
 * Neurons 0…M−1 (M = khat.length) of an FFN as token detectors: W1 row j = s·k̂_j/√H, b1[j] = −s·θ.
 * Returns neuron j's GELU feature of an input, read as the keys were (centred where they were).
 */
function setDetectors(W1: Float32Array, b1: Float32Array, khat: readonly Float32Array[], theta: number, s: number): (a: Float32Array, j: number) => number {
  const H = khat[0]!.length;
  for (let j = 0; j < khat.length; j++) {
    for (let k = 0; k < H; k++) W1[j * H + k] = (s * khat[j]![k]!) / Math.sqrt(H);
    b1[j] = -s * theta;
  }
  return (a, j) => {
    let v = b1[j]!;
    for (let k = 0; k < H; k++) v += W1[j * H + k]! * a[k]!;
    return gelu(v);
  };
}

/** Detectors fitted on centred inputs a − ā read a itself: b1 absorbs ā·W1 row j, for neurons 0…M−1. */
function absorbMean(W1: Float32Array, b1: Float32Array, M: number, abar: Float32Array): void {
  const H = abar.length;
  for (let j = 0; j < M; j++) {
    let v = 0;
    for (let k = 0; k < H; k++) v += W1[j * H + k]! * abar[k]!;
    b1[j] = b1[j]! - v;
  }
}

/** Runs the state's model over the sample's pairs, 64 at a time, and hands each batch's `capture` sites (as arrays, in order) to `each`. */
function captureSample(
  init: Map<string, TensorToWrite>,
  config: ReturnType<typeof parseConfig>,
  encs: readonly PairEncoding[],
  capture: SiteName[],
  each: (b: ReturnType<typeof padBatch>, first: number, got: Float32Array[]) => void,
): void {
  const tb = trainableBert(config, new Map([...init].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
  for (let i = 0; i < encs.length; i += 64) {
    const b = padBatch(encs.slice(i, i + 64), 0);
    const inputs = {
      inputIds: tf.tensor2d(b.inputIds, [b.batch, b.seqLen], 'int32'),
      tokenTypeIds: tf.tensor2d(b.tokenTypeIds, [b.batch, b.seqLen], 'int32'),
      attentionMask: tf.tensor2d(b.attentionMask, [b.batch, b.seqLen], 'int32'),
    };
    const r = runModel(tb.model, inputs, { capture });
    each(b, i, capture.map((n) => r.captured.get(n)!.dataSync() as Float32Array));
    disposeRun(r);
    tf.dispose(Object.values(inputs));
  }
  tf.dispose([...tb.variables.values()]);
}

/**
 * IdfMemoryOptions.meaningLayer: the 2-layer state with a silent layer 0 before it (the circuit's
 * layers move to 1 and 2). Layer 0's attention-output and FFN-output denses are zero, its LayerNorms
 * the identity on LayerNorm'd input, so the function is unchanged until buildMeaningLayer fills its FFN;
 * its other weights are random (seed + 1), free to train.
 */
function prependSilentLayer(init: Map<string, TensorToWrite>, shape: ModelShape, seed: number): Map<string, TensorToWrite> {
  const fresh = randomStateDict({ ...shape, numLayers: shape.numLayers + 1 }, seed + 1, 0.02);
  const out = new Map<string, TensorToWrite>();
  for (const [n, t] of fresh) {
    const m = /^bert\.encoder\.layer\.(\d+)\.(.+)$/.exec(n);
    if (!m) out.set(n, init.get(n)!);
    else if (m[1] !== '0') out.set(n, init.get(`bert.encoder.layer.${Number(m[1]) - 1}.${m[2]}`)!);
    else {
      if (/(attention\.output|^output)\.dense\./.test(m[2]!)) (t.data as Float32Array).fill(0);
      out.set(n, t);
    }
  }
  return out;
}

/**
 * Fills layer 0's FFN (after prependSilentLayer): neuron j detects memory token t_j in the embeddings
 * (whitened keys about the sample's mean, ⟂ keyBasis; θ from the sample) and writes the token's
 * `rows` row ⟂ `basis` (writeMeaning), so that after layer 0 a frequent word's random row carries
 * its meaning. Neurons ≥ M keep random inputs and write nothing.
 */
function buildMeaningLayer(
  init: Map<string, TensorToWrite>,
  config: ReturnType<typeof parseConfig>,
  encs: readonly PairEncoding[],
  mem: readonly number[],
  rows: Float32Array,
  keyBasis: Float32Array[],
  basis: Float32Array[],
  s: number,
  gain: number,
  log: (s: string) => void,
): void {
  const get = (n: string): Float32Array => init.get(n)!.data as Float32Array;
  const I = config.intermediateSizes[0]!;
  const H = config.hiddenSize;
  const pos: Array<{ tok: number; a: Float32Array }> = [];
  captureSample(init, config, encs, ['embeddings'], (b, _i, [e]) => {
    for (let p = 0; p < b.batch * b.seqLen; p++) if (b.attentionMask[p]) pos.push({ tok: b.inputIds[p]!, a: e!.slice(p * H, (p + 1) * H) });
  });
  const abar = new Float32Array(H);
  for (const p of pos) for (let k = 0; k < H; k++) abar[k] = abar[k]! + p.a[k]! / pos.length;
  for (const p of pos) for (let k = 0; k < H; k++) p.a[k] = p.a[k]! - abar[k]!;
  const { khat, theta, selfP1, otherP999 } = detectorKeys(pos, mem, true, keyBasis, Number.NaN);
  log(`meaning layer: own-key cosine p1 ${selfP1.toFixed(3)}, best other key p99.9 ${otherP999.toFixed(3)}: theta ${theta.toFixed(3)}`);
  const W1 = get('bert.encoder.layer.0.intermediate.dense.weight');
  const b1 = get('bert.encoder.layer.0.intermediate.dense.bias');
  const feat = setDetectors(W1, b1, khat, theta, s);
  writeMeaning(get('bert.encoder.layer.0.output.dense.weight'), I, mem, rows, get('bert.embeddings.word_embeddings.weight'), pos, feat, basis, gain, log);
  absorbMean(W1, b1, mem.length, abar);
}

export async function idfMemoryInit(o: IdfMemoryOptions): Promise<void> {
  const I = o.ffn;
  const [H, layers, heads] = [o.hidden ?? 128, o.layers ?? 2, o.heads ?? 2];
  if (!(layers >= 2) || !(heads >= 1) || !(H > 0) || H % heads !== 0 || H / heads < 2)
    throw new Error(`--layers ${layers} --hidden ${H} --heads ${heads}: the circuit needs ≥ 2 layers and heads of ≥ 2 dimensions (hidden a multiple of heads)`);
  if (o.base && o.words) throw new Error('--words replaces the overlap circuit\'s word embeddings; with --base the base keeps its own');
  if (!o.words && (o.randomMemoryRows || o.idfFree || o.equalNorms)) throw new Error('--random-memory-rows, --idf-free and --equal-norms change the rows that --words brings: name --words DIR');
  if (o.memoryMeaning && !(o.words && o.randomMemoryRows)) throw new Error('--memory-meaning writes the --words rows of the memory\'s tokens from its neurons: name --words DIR and --random-memory-rows');
  if (o.meaningLayer && !(o.words && o.randomMemoryRows)) throw new Error('--meaning-layer writes the --words rows of the memory\'s tokens from a layer before the circuit: name --words DIR and --random-memory-rows');
  if (o.m < 3 || o.m > I) throw new Error(`--m ${o.m}: the memory needs 3…${I} neurons (layer 0's FFN width, --ffn)`);
  await selectBackend('wasm');
  const t0 = Date.now();
  const log = (s: string): void => void process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0)}s] ${s}\n`);
  const data = await loadTrainData(o.data, TRAIN_SPLIT);
  const tok = await loadTokenizer(o.tokenizer);
  const V = tok.vocabSize;

  // 1. df / idf over the training documents.
  const df = new Float64Array(V);
  const occ = new Float64Array(V);
  let N = 0;
  for (const s of data.sources) {
    for (let i = 0; i < s.texts.length; i += 512) {
      for (const doc of await tok.encodeTexts(s.texts.slice(i, i + 512))) {
        N++;
        for (const t of new Set(doc)) df[t]!++;
        for (const t of doc) occ[t]!++;
      }
    }
  }
  const idf = Float64Array.from(df, (x) => Math.log(N / Math.max(x, 0.5)));
  let mu = 0;
  let tot = 0;
  for (let t = 0; t < V; t++) (mu += occ[t]! * idf[t]!), (tot += occ[t]!);
  mu /= tot;
  let sd = 0;
  for (let t = 0; t < V; t++) sd += (occ[t]! * (idf[t]! - mu) ** 2) / tot;
  sd = Math.sqrt(sd);
  const idfStd = Float64Array.from(idf, (x) => (x - mu) / sd);
  log(`${N} training documents, idf mean ${mu.toFixed(3)} sd ${sd.toFixed(3)} (occurrence-weighted)`);

  // A sample of pairs as stage 2 draws them (the memory's tokens, then layer 0's FFN input at every real position).
  const gopts = { groupSize: 8, realShare: 0.3, teacher: 0.7, teacherReal: 0.5, temperature: 3, poolDepth: 100, naturalShare: 0.5 };
  const pairs: Array<[string, string]> = [];
  for (let step = 0; step < o.sampleSteps; step++) {
    for (let slot = 0; slot < 8; slot++) {
      const g = makeGroup(data, SAMPLE_SEED, step, slot, gopts);
      for (const p of g.passages) pairs.push([g.query, p]);
    }
  }
  const encs: PairEncoding[] = [];
  for (let i = 0; i < pairs.length; i += 64) encs.push(...(await tok.encodePairs(pairs.slice(i, i + 64), { maxLength: 128 })));

  // The memory: [CLS], [SEP], then the tokens of highest df seen ≥ minCount times in the sample.
  const aCount = new Float64Array(V);
  const qCount = new Float64Array(V);
  for (const e of encs) {
    for (let i = 0; i < e.inputIds.length; i++) {
      aCount[e.inputIds[i]!]!++;
      if (!e.tokenTypeIds[i]) qCount[e.inputIds[i]!]!++;
    }
  }
  const firstIds = (await tok.encodePairs([['a', 'b']], { maxLength: 8 }))[0]!.inputIds;
  const cls = Number(firstIds[0]);
  const sep = Number(firstIds[2]);
  const specials = new Set(['[PAD]', '[UNK]', '[MASK]', '[CLS]', '[SEP]']);
  const byDf = [...Array(V).keys()].filter((t) => !specials.has(tok.idToToken(t) ?? '') && aCount[t]! >= o.minCount).sort((a, b) => df[b]! - df[a]!);
  if (byDf.length < o.m - 2) throw new Error(`only ${byDf.length} tokens are seen ${o.minCount}+ times in the sample; lower --min-count or raise --sample-steps`);
  const mem = [cls, sep, ...byDf.slice(0, o.m - 2)];
  const M = mem.length;
  const base = idfStd[mem[M - 1]!]!;
  const covered = mem.reduce((a, t) => a + qCount[t]!, 0) / qCount.reduce((a, b) => a + b, 0);
  log(`memory: last token ${tok.idToToken(mem[M - 1]!)} (df ${df[mem[M - 1]!]}), base idf_std ${base.toFixed(3)}; ${covered.toFixed(3)} of the sample's query tokens`);
  // 2. the overlap init, as the trainer builds it at step 0 (or the base model's weights).
  const shape: ModelShape = { vocabSize: V, hiddenSize: H, numLayers: layers, numHeads: heads, intermediateSize: I, maxPositionEmbeddings: 128, typeVocabSize: 2, numLabels: 1 };
  let raw = JSON.parse(configJson(shape, 0.02, o.seed)) as Record<string, unknown>;
  delete raw.celens_random_init;
  raw.sbert_ce_default_activation_function = 'torch.nn.modules.linear.Identity';
  let init: Map<string, TensorToWrite>;
  // The direction w layer 1 reads, and the one the memory writes along (q; w itself with the overlap circuit).
  let w: Float32Array;
  let q: Float32Array;
  // Directions the keys are made ⟂ to (the overlap circuit's match features d, z).
  let keyBasis: Float32Array[] = [];
  // The --words rows (centred, scaled) when the memory writes its tokens' meaning.
  let meaningRows: Float32Array | undefined;
  // The overlap circuit's directions d, z, y (none with --base).
  let overlapBasis: Float32Array[] = [];
  if (o.base) {
    const baseRaw = JSON.parse(await readFile(join(o.base, 'config.json'), 'utf8')) as Record<string, unknown>;
    const bc = parseConfig(baseRaw);
    const bad = [
      bc.hiddenSize !== H && `hidden_size ${bc.hiddenSize} (needs ${H})`,
      bc.numLayers !== layers && `num_hidden_layers ${bc.numLayers} (needs ${layers})`,
      bc.numHeads !== heads && `num_attention_heads ${bc.numHeads} (needs ${heads})`,
      bc.vocabSize !== V && `vocab_size ${bc.vocabSize} (the tokenizer ${o.tokenizer} has ${V})`,
      new Set(bc.intermediateSizes).size !== 1 && `FFN widths ${bc.intermediateSizes.join(', ')} (needs one width)`,
      bc.intermediateSizes[0]! + o.m > I && `intermediate_size ${bc.intermediateSizes[0]}: with --m ${o.m} the FFN needs --ffn ≥ ${bc.intermediateSizes[0]! + o.m}`,
    ].filter((x): x is string => typeof x === 'string');
    if (bad.length) throw new Error(`--base ${o.base}: ${bad.join('; ')}`);
    const st = (await readSafetensors(join(o.base, 'model.safetensors'))).tensors;
    init = new Map();
    // Every tensor the base's own config implies, at its shape (baseState widens the FFNs after).
    for (const [n, t] of randomStateDict({ ...shape, intermediateSize: bc.intermediateSizes[0]! }, o.seed, 0.02)) {
      const f = st.get(n);
      if (!f || f.shape.join('x') !== t.shape.join('x')) throw new Error(`--base ${o.base}: ${n} is ${f ? f.shape.join('x') : 'missing'} in model.safetensors, its config.json needs ${t.shape.join('x')}`);
      init.set(n, { dtype: 'F32', shape: f.shape, data: Float32Array.from(f.data as Float32Array) });
    }
    raw = { ...baseRaw, intermediate_size: I };
    ({ w, q } = baseState(init, I, o.m, bc.intermediateSizes[0]!, layers, o.seed));
  } else {
    init = randomStateDict(shape, o.seed, 0.02);
    if (o.words) meaningRows = await wordsFrom(init, o.words, V, o.randomMemoryRows ? new Set(mem) : undefined, o.idfFree ? { k: o.idfFree, idfStd, seen: (t) => df[t]! > 0, log } : undefined, o.equalNorms);
    overlapInit(init, shape, o.seed);
    const get0 = (n: string): Float32Array => init.get(n)!.data as Float32Array;
    const { d, z, y } = overlapDirections(o.seed, H);
    const wr = new Xoshiro128(o.seed, fnv1a('celens.idf-init'));
    w = orthonormalise(Float32Array.from({ length: H }, () => wr.nextNormal()), [d, z, y]);
    q = w;
    keyBasis = [d, z];
    overlapBasis = [d, z, y];

    // 3. w is written by the memory only.
    projectRows(get0('bert.embeddings.word_embeddings.weight'), w);
    projectRows(get0('bert.embeddings.position_embeddings.weight'), w);
    projectOut(get0('bert.encoder.layer.0.attention.output.dense.weight'), H, H, w);
    projectOut(get0('bert.encoder.layer.0.output.dense.weight'), H, I, w);
    if (o.meaningLayer) init = prependSilentLayer(init, shape, o.seed);
  }
  // The circuit's first layer: 1 with a meaning layer before it.
  const L = o.meaningLayer ? 1 : 0;
  if (L) raw.num_hidden_layers = layers + 1;
  raw.celens_training = { script: 'scripts/idf-memory-init.ts', seed: o.seed, gain: o.gain, lam: o.lam, s: o.s, m: o.m, ...(I !== 512 && { ffn: I }), ...(o.base && { base: o.base }), ...(o.words && { words: o.words, ...(o.randomMemoryRows && { randomMemoryRows: true }), ...(o.idfFree && { idfFree: o.idfFree }), ...(o.memoryMeaning && { memoryMeaning: o.memoryMeaning }), ...(o.equalNorms && { equalNorms: true }), ...(o.meaningLayer && { meaningLayer: o.meaningLayer }) }) };
  const config = parseConfig(raw);
  const get = (n: string): Float32Array => init.get(n)!.data as Float32Array;
  // Layer 0's attention-output LayerNorm (weight 1, bias 0 in the overlap circuit).
  const lnA = o.base ? ([get('bert.encoder.layer.0.attention.output.LayerNorm.weight'), get('bert.encoder.layer.0.attention.output.LayerNorm.bias')] as const) : undefined;

  if (o.meaningLayer) buildMeaningLayer(init, config, encs, mem, meaningRows!, keyBasis, [...overlapBasis, w], o.s, o.meaningLayer, log);

  interface Pos { tok: number; type: number; a: Float32Array; pair: number }
  const pos: Pos[] = [];
  captureSample(init, config, encs, [L ? `layer.${L - 1}.out` : 'embeddings', `layer.${L}.attn.out`], (b, i, [e, ao]) => {
    for (let p = 0; p < b.batch * b.seqLen; p++) {
      if (!b.attentionMask[p]) continue;
      const v = new Float32Array(H);
      for (let k = 0; k < H; k++) v[k] = e![p * H + k]! + ao![p * H + k]!;
      pos.push({ tok: b.inputIds[p]!, type: b.tokenTypeIds[p]!, a: lnA ? layerNorm(v, lnA[0], lnA[1]) : layerNorm(v), pair: i + Math.floor(p / b.seqLen) });
    }
  });
  log(`${pairs.length} sample pairs, ${pos.length} positions`);

  const memIndex = new Map(mem.map((t, j) => [t, j]));
  const target = (t: number): number => (t === cls || t === sep ? -3 : memIndex.has(t) ? Math.max(-4, Math.min(0, idfStd[t]! - base)) : 0);

  // Keys: the mean FFN input of each memory token, ⟂ d, z, normalised; θ from how specific they are.
  // A trained base's FFN inputs are not centred (LayerNorm biases), nor are those of trained word rows
  // (--words): keys and cosines are then taken about the sample's mean input ā, so neuron j's
  // pre-activation is s·((a − ā)·k̂_j/√H − θ).
  const abar = new Float32Array(H);
  if (o.base || o.words) {
    const acc = new Float64Array(H);
    for (const p of pos) for (let k = 0; k < H; k++) acc[k]! += p.a[k]!;
    for (let k = 0; k < H; k++) abar[k] = acc[k]! / pos.length;
    for (const p of pos) for (let k = 0; k < H; k++) p.a[k] = p.a[k]! - abar[k]!;
  }
  const { khat, theta, selfP1, otherP999 } = detectorKeys(pos, mem, Boolean(o.base || o.words), keyBasis, o.theta);
  log(`own-key cosine p1 ${selfP1.toFixed(3)}, best other key p99.9 ${otherP999.toFixed(3)}: theta ${theta.toFixed(3)}`);

  // 4. W1/b1 of layer 0 (HF [I, H]), then β by ridge on the memory's GELU features (first 80% of pairs).
  const W1 = get(`bert.encoder.layer.${L}.intermediate.dense.weight`);
  const b1 = get(`bert.encoder.layer.${L}.intermediate.dense.bias`);
  // The memory's features of an input (p.a is a − ā with --base or --words): β's fit reads no other neuron.
  const feat = setDetectors(W1, b1, khat, theta, o.s);
  const feats = (a: Float32Array): Float64Array => Float64Array.from({ length: M }, (_v, j) => feat(a, j));
  const split = Math.floor(pairs.length * 0.8);
  const A = new Float64Array(M * M);
  const bvec = new Float64Array(M);
  const held: Array<{ h: Float64Array; t: number }> = [];
  for (const p of pos) {
    const h = feats(p.a);
    const t = target(p.tok);
    if (p.pair >= split) {
      if (p.type === 0 && p.tok !== cls && p.tok !== sep) held.push({ h, t });
      continue;
    }
    const wt = p.type === 0 ? o.queryWeight : 1;
    const nz: number[] = [];
    for (let i = 0; i < M; i++) if (Math.abs(h[i]!) > 1e-4) nz.push(i);
    for (const i of nz) {
      bvec[i]! += wt * h[i]! * t;
      for (const j of nz) A[i * M + j]! += wt * h[i]! * h[j]!;
    }
  }
  const beta = ridgeSolve(A, bvec, M, o.ridge);
  {
    const pred = held.map((r) => r.h.reduce((a, x, j) => a + x * beta[j]!, 0));
    const mean = held.reduce((a, r) => a + r.t, 0) / held.length;
    const ss = held.reduce((a, r) => a + (r.t - mean) ** 2, 0);
    const se = held.reduce((a, r, i) => a + (r.t - pred[i]!) ** 2, 0);
    log(`fit of u(t) on held-out pairs' query positions: R² ${(1 - se / ss).toFixed(3)} (${held.length} positions)`);
  }
  const W2 = get(`bert.encoder.layer.${L}.output.dense.weight`);
  for (let r = 0; r < H; r++) for (let j = 0; j < M; j++) W2[r * I + j] = W2[r * I + j]! + o.gain * q[r]! * beta[j]!;
  if (o.memoryMeaning && meaningRows) writeMeaning(W2, I, mem, meaningRows, get('bert.embeddings.word_embeddings.weight'), pos, feat, [...overlapBasis, w], o.memoryMeaning, log);
  if (o.base || o.words) absorbMean(W1, b1, M, abar);

  // 5. Layer 1, head 0: key row 1 reads w, query bias[1] is constant.
  const kappa = Math.sqrt((8 * o.lam) / o.gain);
  const k1 = get(`bert.encoder.layer.${L + 1}.attention.self.key.weight`);
  const qb1 = get(`bert.encoder.layer.${L + 1}.attention.self.query.bias`);
  for (let i = 0; i < H; i++) k1[1 * H + i] = kappa * w[i]!;
  qb1[1] = kappa;
  if (o.base) {
    // A trained query row 1 and key bias 1 would add to what the memory sets.
    get('bert.encoder.layer.1.attention.self.query.weight').fill(0, H, 2 * H);
    get('bert.encoder.layer.1.attention.self.key.bias')[1] = 0;
  }

  await mkdir(o.out, { recursive: true });
  await writeFile(join(o.out, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
  await writeSafetensors(join(o.out, 'model.safetensors'), init as Map<string, TensorToWrite>, { format: 'pt' });
  for (const f of TOKENIZER_FILES) if (await exists(join(o.tokenizer, f))) await copyFile(join(o.tokenizer, f), join(o.out, f));
  const tokens = mem.map((t) => tok.idToToken(t) ?? '');
  await writeFile(join(o.out, 'memory-tokens.txt'), `${tokens.join('\n')}\n`);
  await writeFile(join(o.out, 'idf-init.json'), `${JSON.stringify({ gain: o.gain, lam: o.lam, s: o.s, theta, m: M, base, N, idfMean: mu, idfSd: sd, memory: mem.map((t, j) => [tokens[j], Number(target(t).toFixed(3))]) })}\n`);
  log(`wrote ${o.out}`);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .usage('$0 OUT [options]: the overlap circuit plus an IDF memory in layer 0\'s FFN')
    .demandCommand(1, 'name the output folder')
    .option('data', { type: 'string', default: '../shared/data' })
    .option('tokenizer', { type: 'string', default: 'weights/celens-ce-tiny', describe: 'folder with the vocab.txt the model uses' })
    .option('seed', { type: 'number', default: 20261127 })
    .option('ffn', { type: 'number', default: 512, describe: 'FFN width (pass the same --ffn to the trainer)' })
    .option('m', { type: 'number', default: 512, describe: 'memory neurons ([CLS], [SEP] and the most frequent tokens)' })
    .option('s', { type: 'number', default: 20, describe: 'sharpness of the token detectors' })
    .option('theta', { type: 'number', describe: 'detector threshold (default: from the sample)' })
    .option('gain', { type: 'number', default: 2 })
    .option('lam', { type: 'number', default: 4, describe: '[CLS]\'s attention logit moves by ≈ lam·u(t)' })
    .option('ridge', { type: 'number', default: 1 })
    .option('query-weight', { type: 'number', default: 5, describe: 'weight of query positions in β\'s fit' })
    .option('min-count', { type: 'number', default: 10, describe: 'a memory token is seen at least this often in the sample' })
    .option('sample-steps', { type: 'number', default: 30, describe: 'steps of 8 stage-2 groups in the sample' })
    .option('words', { type: 'string', describe: 'a trained model whose word embeddings replace the overlap circuit\'s random ones' })
    .option('random-memory-rows', { type: 'boolean', default: false, describe: 'with --words: the memory\'s tokens keep random rows' })
    .option('idf-free', { type: 'number', default: 0, describe: 'with --words: take this many idf-predicting directions out of the word rows' })
    .option('equal-norms', { type: 'boolean', default: false, describe: 'with --words: every row at the same norm (no frequency cue in a row\'s length)' })
    .option('memory-meaning', { type: 'number', default: 0, describe: 'with --words --random-memory-rows: memory neurons write their token\'s --words row, at this many times its own row\'s size' })
    .option('meaning-layer', { type: 'number', default: 0, describe: 'with --words --random-memory-rows: a layer before the circuit whose FFN writes the memory tokens\' --words rows, at this many times their own row\'s size' })
    .option('layers', { type: 'number', default: 2, describe: 'layers (the circuit is in layers 0 and 1; pass the same shape to the trainer)' })
    .option('hidden', { type: 'number', default: 128, describe: 'hidden size' })
    .option('heads', { type: 'number', default: 2, describe: 'attention heads' })
    .option('base', { type: 'string', describe: 'a trained model to put the memory into instead of the overlap circuit (--ffn ≥ its FFN + --m)' })
    .strict()
    .parse();
  await idfMemoryInit({
    out: String(argv._[0]),
    data: argv.data,
    tokenizer: argv.tokenizer,
    seed: argv.seed,
    ffn: argv.ffn,
    m: argv.m,
    s: argv.s,
    theta: argv.theta ?? Number.NaN,
    gain: argv.gain,
    lam: argv.lam,
    ridge: argv.ridge,
    queryWeight: argv['query-weight'],
    minCount: argv['min-count'],
    sampleSteps: argv['sample-steps'],
    ...(argv.base !== undefined && { base: argv.base }),
    ...(argv.words !== undefined && { words: argv.words }),
    randomMemoryRows: argv['random-memory-rows'],
    idfFree: argv['idf-free'],
    memoryMeaning: argv['memory-meaning'],
    equalNorms: argv['equal-norms'],
    meaningLayer: argv['meaning-layer'],
    layers: argv.layers,
    hidden: argv.hidden,
    heads: argv.heads,
  });
}

if (process.argv[1]?.endsWith('idf-memory-init.js')) await main();
