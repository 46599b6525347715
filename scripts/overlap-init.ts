/**
 * A structured starting point for training a 2+-layer BERT cross-encoder from scratch: the
 * random initialisation of make-random-model.ts, with a few directions set so that the untrained
 * network already computes a soft "share of query words found in the passage". Training starts
 * from a ranking signal instead of noise. Why: from the plain initialisation, every configuration
 * we tried (docs/training.md) learnt to ignore the passage — passage-dependent output is pure noise
 * at step 0, and the listwise loss, blind to per-query shifts, removes it — and stayed at ln 4.
 *
 * The circuit (head 0 of layers 0 and 1; every other weight keeps its random value):
 *   embeddings  token types are ±a·d for a random unit vector d; positions are scaled down;
 *   layer 0     Q = K = α·R(I − d dᵀ): a token attends to the tokens with the same word (itself
 *               and its copies), whatever their segment. V reads the type (x·d) into ctx[0];
 *               the output dense writes ctx[0] along a direction z. A query token whose word is
 *               in the passage thus gets a positive z component, one whose word is not a
 *               negative one.
 *   layer 1     Q = K = β·e₀dᵀ: type-0 tokens ([CLS], the query, the first [SEP]) attend to
 *               each other. V reads z into ctx[0]; the output dense writes it along y: [CLS]
 *               holds the mean z over the query tokens.
 *   head        pooler unit 0 = tanh(γ·x·y), the classifier reads unit 0 with weight δ.
 * Deterministic: the directions come from the same xoshiro streams as the weights.
 */
import { Xoshiro128, fnv1a } from './make-random-model.js';
import type { ModelShape } from './make-random-model.js';
import type { TensorToWrite } from '../src/weights/safetensors-write.js';

export interface OverlapInitOptions {
  /** Token-type amplitude a. @default 0.15 */
  typeScale?: number;
  /** Position embeddings are multiplied by this. @default 0.25 */
  positionScale?: number;
  /** Layer-0 same-word attention α. @default 1 */
  alpha?: number;
  /** Layer-1 same-type attention β. @default 1.5 */
  beta?: number;
  /** Value and output gains of the two heads. @default 0.35 */
  gain?: number;
  /** Pooler γ (@default 0.2) and classifier δ (@default 1). */
  gamma?: number;
  delta?: number;
}

function unit(rng: Xoshiro128, n: number, orthTo: Float32Array[] = []): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.nextNormal();
  for (const u of orthTo) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (v[i] as number) * (u[i] as number);
    for (let i = 0; i < n; i++) v[i] = (v[i] as number) - dot * (u[i] as number);
  }
  // Zero mean, so that LayerNorm's centring leaves the direction alone.
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (v[i] as number) / n;
  let norm = 0;
  for (let i = 0; i < n; i++) norm += ((v[i] as number) - mean) ** 2;
  norm = Math.sqrt(norm);
  for (let i = 0; i < n; i++) v[i] = ((v[i] as number) - mean) / norm;
  return v;
}

/** The circuit's directions d (token type), z (layer 0's overlap readout) and y (layer 1's), as overlapInit draws them first. */
export function overlapDirections(seed: number, H: number): { d: Float32Array; z: Float32Array; y: Float32Array } {
  const rng = new Xoshiro128(seed, fnv1a('celens.overlap-init'));
  const d = unit(rng, H);
  const z = unit(rng, H, [d]);
  return { d, z, y: unit(rng, H, [d, z]) };
}

/** Rewrites the tensors of `state` (HF names and layouts, F32) in place. */
export function overlapInit(state: Map<string, TensorToWrite>, s: ModelShape, seed: number, o: OverlapInitOptions = {}): void {
  if (s.numLayers < 2) throw new Error('the overlap initialisation needs at least 2 layers');
  const H = s.hiddenSize;
  const hs = H / s.numHeads;
  const rng = new Xoshiro128(seed, fnv1a('celens.overlap-init'));
  const d = unit(rng, H);
  const z = unit(rng, H, [d]);
  const y = unit(rng, H, [d, z]);
  const get = (name: string): Float32Array => {
    const t = state.get(name);
    if (!t) throw new Error(`no tensor ${name}`);
    return t.data as Float32Array;
  };
  const a = o.typeScale ?? 0.15;
  const type = get('bert.embeddings.token_type_embeddings.weight');
  for (let i = 0; i < H; i++) {
    type[i] = -a * (d[i] as number);
    if (s.typeVocabSize > 1) type[H + i] = a * (d[i] as number);
  }
  const pos = get('bert.embeddings.position_embeddings.weight');
  pos.forEach((v, i) => (pos[i] = v * (o.positionScale ?? 0.25)));
  const gain = o.gain ?? 0.35;

  // Layer 0, head 0: same-word attention, blind to the type direction.
  const alpha = o.alpha ?? 1;
  const p0 = 'bert.encoder.layer.0.attention.self';
  const q0 = get(`${p0}.query.weight`);
  const k0 = get(`${p0}.key.weight`);
  for (let r = 0; r < hs; r++) {
    const row = new Float32Array(H);
    for (let i = 0; i < H; i++) row[i] = rng.nextNormal() / Math.sqrt(H);
    let dot = 0;
    for (let i = 0; i < H; i++) dot += (row[i] as number) * (d[i] as number);
    for (let i = 0; i < H; i++) {
      const v = alpha * ((row[i] as number) - dot * (d[i] as number));
      q0[r * H + i] = v;
      k0[r * H + i] = v;
    }
  }
  writeReadout(get(`${p0}.value.weight`), get('bert.encoder.layer.0.attention.output.dense.weight'), d, z, H, gain);

  // Layer 1, head 0: type-0 tokens attend to type-0 tokens.
  const beta = o.beta ?? 1.5;
  const p1 = 'bert.encoder.layer.1.attention.self';
  const q1 = get(`${p1}.query.weight`);
  const k1 = get(`${p1}.key.weight`);
  for (let i = 0; i < H; i++) {
    q1[i] = -beta * (d[i] as number); // row 0: type 0 gives a positive query along e₀
    k1[i] = -beta * (d[i] as number);
  }
  for (let r = 1; r < hs; r++) for (let i = 0; i < H; i++) (q1[r * H + i] = 0), (k1[r * H + i] = 0);
  writeReadout(get(`${p1}.value.weight`), get('bert.encoder.layer.1.attention.output.dense.weight'), z, y, H, gain);

  // Head: pooler unit 0 reads y, the classifier reads pooler unit 0.
  const pool = get('bert.pooler.dense.weight');
  for (let i = 0; i < H; i++) pool[i] = (o.gamma ?? 0.2) * (y[i] as number);
  const cls = get('classifier.weight');
  cls.fill(0);
  cls[0] = o.delta ?? 1;
}

/** V row 0 reads `from`; the output dense writes ctx[0] along `to` (HF layouts [out, in]). */
function writeReadout(v: Float32Array, out: Float32Array, from: Float32Array, to: Float32Array, H: number, gain: number): void {
  for (let i = 0; i < H; i++) v[i] = gain * (from[i] as number);
  for (let r = 0; r < H; r++) out[r * H] = gain * (to[r] as number) * Math.sqrt(H);
}
