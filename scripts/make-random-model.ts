/**
 * Deterministic random BERT cross-encoders in Hugging Face layout, for benchmarks and tests that
 * need a model of a real shape without downloading one:
 *   config.json        as transformers' save_pretrained writes a BertForSequenceClassification config
 *   model.safetensors  F32, HF state-dict names (`bert.` prefix + `classifier.*`), metadata {"format":"pt"}
 *   tokenizer files    copied when a vocabulary is given (vocab_size then follows it)
 *
 * Initialisation follows BertPreTrainedModel._init_weights (transformers modeling_bert.py):
 * Linear and Embedding weights ~ N(0, initializer_range), Linear biases 0, the padding row of the
 * word embeddings 0, LayerNorm weight 1 and bias 0.
 *
 * Randomness: every tensor gets its own stream, seeded from (seed, tensor name), so a tensor's
 * values depend only on the seed, its name and its shape: adding a layer does not change the
 * others. The generator is xoshiro128** (Blackman & Vigna 2018) seeded through splitmix32;
 * normals come from the Box-Muller transform. Math.log/cos/sin are V8's fdlibm ports, so the
 * files are byte-identical across machines for the same seed and options.
 *
 *   node dist-all/scripts/make-random-model.js --out DIR [--preset minilm-l6|tiny] [--seed N]
 *     [--vocab FILE|DIR] [--layers N] [--hidden N] [--heads N] [--ffn N] [--labels N]
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { writeSafetensors } from '../src/weights/safetensors-write.js';
import type { TensorToWrite } from '../src/weights/safetensors-write.js';
import { TOKENIZER_FILES } from '../src/tokenize/files.js';

// ---------------------------------------------------------------------------------------------
// PRNG

// Module-level copies of the Math functions the hot loops use: under jest (a vm context) every
// global lookup goes through the context's interceptor, which made generation ~15× slower there.
const { imul, log, sqrt, sin, cos, PI } = Math;

/** splitmix32 step (a 32-bit variant of Steele et al.'s SplitMix): used only to fill a seed state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over the UTF-16 code units of a string (tensor names are ASCII). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * xoshiro128** 1.1 (https://prng.di.unimi.it/xoshiro128starstar.c): 128-bit state, period 2^128−1.
 * `nextU32` gives uniform 32-bit integers, `nextFloat` uniform (0, 1), `nextNormal` N(0, 1).
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  /** Seeds from a 32-bit seed and an optional stream id (e.g. fnv1a of a tensor name). */
  constructor(seed: number, stream = 0) {
    const st = { s: (seed ^ imul(stream, 0x9e3779b1)) | 0 };
    // Mix the stream in twice so that (seed, stream) pairs do not collide by simple xor symmetry.
    st.s = (splitmix32(st) ^ stream) | 0;
    this.a = splitmix32(st) | 0;
    this.b = splitmix32(st) | 0;
    this.c = splitmix32(st) | 0;
    this.d = splitmix32(st) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the all-zero state is a fixed point
  }

  /** A generator with this exact state (for checking against the reference C code). */
  static fromState(a: number, b: number, c: number, d: number): Xoshiro128 {
    const r = new Xoshiro128(0);
    r.a = a | 0;
    r.b = b | 0;
    r.c = c | 0;
    r.d = d | 0;
    return r;
  }

  nextU32(): number {
    const result = imul(rotl(imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** Uniform on the open interval (0, 1): (u + 0.5) / 2^32, never 0 (safe for log). */
  nextFloat(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** Integer in [lo, hi) (hi − lo ≤ 2^32; modulo bias below 2^-16 for the sizes used here). */
  nextInt(lo: number, hi: number): number {
    return lo + (this.nextU32() % (hi - lo));
  }

  /** Standard normal by Box-Muller; the second value of each pair is kept for the next call. */
  nextNormal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const r = sqrt(-2 * log(this.nextFloat()));
    const theta = 2 * PI * this.nextFloat();
    this.spare = r * sin(theta);
    return r * cos(theta);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// ---------------------------------------------------------------------------------------------
// Shapes

export interface ModelShape {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  numLabels: number;
}

export type PresetName = 'minilm-l6' | 'tiny';

export const PRESETS: Record<PresetName, ModelShape> = {
  /** cross-encoder/ms-marco-MiniLM-L-6-v2 (its config.json). */
  'minilm-l6': { vocabSize: 30522, hiddenSize: 384, numLayers: 6, numHeads: 12, intermediateSize: 1536, maxPositionEmbeddings: 512, typeVocabSize: 2, numLabels: 1 },
  /** Small enough for a README demo and unit tests (~1 M parameters, almost all embeddings); BERT's vocabulary and 512 positions so real tokenizers and passages fit. */
  tiny: { vocabSize: 30522, hiddenSize: 32, numLayers: 2, numHeads: 4, intermediateSize: 64, maxPositionEmbeddings: 512, typeVocabSize: 2, numLabels: 1 },
};

export interface MakeRandomModelOptions {
  /** Output folder (created if missing; config.json and model.safetensors are overwritten). */
  out: string;
  /** @default 'minilm-l6' */
  preset?: PresetName;
  /** Unsigned 32-bit seed. @default 0 */
  seed?: number;
  /**
   * vocab.txt or tokenizer.json (or a folder holding them) to copy into `out`, with the
   * tokenizer_config.json / special_tokens_map.json beside it; vocab_size follows it.
   */
  vocab?: string;
  layers?: number;
  hidden?: number;
  heads?: number;
  ffn?: number;
  labels?: number;
  /** Standard deviation of weights (HF initializer_range). @default 0.02 */
  initializerRange?: number;
}

export interface MadeModel {
  dir: string;
  shape: ModelShape;
  /** Files written, relative to `dir`. */
  files: string[];
  parameters: number;
}

/** transformers' version we imitate in config.json (the one ms-marco-MiniLM-L-6-v2's config names). */
const TRANSFORMERS_VERSION = '4.53.2';

/** Resolves a preset plus overrides into a checked shape. */
export function resolveShape(opts: Omit<MakeRandomModelOptions, 'out' | 'vocab'> & { vocabSize?: number }): ModelShape {
  const presetName = opts.preset ?? 'minilm-l6';
  const preset = PRESETS[presetName];
  if (!preset) throw new Error(`unknown preset '${String(presetName)}' (choose ${Object.keys(PRESETS).join(', ')})`);
  const shape: ModelShape = {
    ...preset,
    ...(opts.vocabSize !== undefined && { vocabSize: opts.vocabSize }),
    ...(opts.layers !== undefined && { numLayers: opts.layers }),
    ...(opts.hidden !== undefined && { hiddenSize: opts.hidden }),
    ...(opts.heads !== undefined && { numHeads: opts.heads }),
    ...(opts.ffn !== undefined && { intermediateSize: opts.ffn }),
    ...(opts.labels !== undefined && { numLabels: opts.labels }),
  };
  for (const [k, v] of Object.entries(shape)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer, got ${v}`);
  }
  if (shape.hiddenSize % shape.numHeads !== 0) {
    throw new Error(`hidden size ${shape.hiddenSize} is not a multiple of the number of heads ${shape.numHeads}`);
  }
  return shape;
}

/** config.json as `BertForSequenceClassification.save_pretrained` writes it (keys sorted, indent 2). */
export function configJson(s: ModelShape, initializerRange: number, seed: number): string {
  const labels = Array.from({ length: s.numLabels }, (_v, i) => i);
  const config: Record<string, unknown> = {
    architectures: ['BertForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    // Not an HF key: says where the weights came from (HF keeps unknown keys as attributes).
    celens_random_init: { generator: 'xoshiro128** + Box-Muller, per-tensor streams (scripts/make-random-model.ts)', seed },
    classifier_dropout: null,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: s.hiddenSize,
    id2label: Object.fromEntries(labels.map((i) => [String(i), `LABEL_${i}`])),
    initializer_range: initializerRange,
    intermediate_size: s.intermediateSize,
    label2id: Object.fromEntries(labels.map((i) => [`LABEL_${i}`, i])),
    layer_norm_eps: 1e-12,
    max_position_embeddings: s.maxPositionEmbeddings,
    model_type: 'bert',
    num_attention_heads: s.numHeads,
    num_hidden_layers: s.numLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    transformers_version: TRANSFORMERS_VERSION,
    type_vocab_size: s.typeVocabSize,
    use_cache: true,
    vocab_size: s.vocabSize,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The state dict, in HF's module order, with HF's initialisation. */
export function randomStateDict(s: ModelShape, seed: number, std = 0.02): Map<string, TensorToWrite> {
  const H = s.hiddenSize;
  const out = new Map<string, TensorToWrite>();
  const normal = (name: string, shape: number[]): void => {
    const n = shape.reduce((a, b) => a * b, 1);
    const rng = new Xoshiro128(seed, fnv1a(name));
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rng.nextNormal() * std;
    out.set(name, { dtype: 'F32', shape, data });
  };
  const fill = (name: string, shape: number[], v: number): void => {
    out.set(name, { dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(v) });
  };
  const linear = (name: string, o: number, i: number): void => {
    normal(`${name}.weight`, [o, i]);
    fill(`${name}.bias`, [o], 0);
  };
  const norm = (name: string): void => {
    fill(`${name}.weight`, [H], 1);
    fill(`${name}.bias`, [H], 0);
  };
  normal('bert.embeddings.word_embeddings.weight', [s.vocabSize, H]);
  // nn.Embedding(padding_idx=pad_token_id): _init_weights zeroes that row.
  (out.get('bert.embeddings.word_embeddings.weight')?.data as Float32Array).fill(0, 0, H);
  normal('bert.embeddings.position_embeddings.weight', [s.maxPositionEmbeddings, H]);
  normal('bert.embeddings.token_type_embeddings.weight', [s.typeVocabSize, H]);
  norm('bert.embeddings.LayerNorm');
  for (let l = 0; l < s.numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, H, H);
    linear(`${p}.attention.self.key`, H, H);
    linear(`${p}.attention.self.value`, H, H);
    linear(`${p}.attention.output.dense`, H, H);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, s.intermediateSize, H);
    linear(`${p}.output.dense`, H, s.intermediateSize);
    norm(`${p}.output.LayerNorm`);
  }
  linear('bert.pooler.dense', H, H);
  linear('classifier', s.numLabels, H);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer files


interface VocabSource {
  files: string[];
  vocabSize: number;
}

/** Finds the tokenizer files to copy and the vocabulary size (tokenizer.json wins over vocab.txt, as in HF). */
async function vocabSource(path: string): Promise<VocabSource> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new Error(`--vocab ${path}: no such file or folder`);
  const dir = st.isDirectory() ? path : dirname(path);
  const present = async (f: string): Promise<boolean> => (await stat(join(dir, f)).catch(() => undefined))?.isFile() === true;
  let files: string[];
  if (st.isDirectory()) {
    files = [];
    for (const f of TOKENIZER_FILES) if (await present(f)) files.push(join(dir, f));
  } else {
    if (!['vocab.txt', 'tokenizer.json'].includes(basename(path))) {
      throw new Error(`--vocab ${path}: expected a file named vocab.txt or tokenizer.json (or a folder holding one)`);
    }
    files = [path];
    for (const f of ['tokenizer_config.json', 'special_tokens_map.json']) if (await present(f)) files.push(join(dir, f));
  }
  const json = files.find((f) => basename(f) === 'tokenizer.json');
  const txt = files.find((f) => basename(f) === 'vocab.txt');
  if (json) return { files, vocabSize: tokenizerJsonVocabSize(await readFile(json, 'utf8'), json) };
  if (txt) return { files, vocabSize: vocabTxtSize(await readFile(txt, 'utf8')) };
  throw new Error(`--vocab ${path}: no vocab.txt or tokenizer.json there`);
}

/** One token per line (BertTokenizer.load_vocab); a final newline does not add a token. */
export function vocabTxtSize(text: string): number {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.length;
}

/** Largest id in model.vocab and added_tokens, plus one (tokenizers' get_vocab_size(with_added_tokens=True)). */
export function tokenizerJsonVocabSize(text: string, file = 'tokenizer.json'): number {
  const j = JSON.parse(text) as { model?: { vocab?: unknown }; added_tokens?: unknown };
  const vocab = j.model?.vocab;
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) throw new Error(`${file}: no model.vocab object (not a WordPiece tokenizer?)`);
  let max = -1;
  for (const id of Object.values(vocab as Record<string, unknown>)) if (typeof id === 'number' && id > max) max = id;
  if (Array.isArray(j.added_tokens)) {
    for (const t of j.added_tokens as unknown[]) {
      const id = (t as { id?: unknown }).id;
      if (typeof id === 'number' && id > max) max = id;
    }
  }
  if (max < 0) throw new Error(`${file}: empty vocabulary`);
  return max + 1;
}

// ---------------------------------------------------------------------------------------------
// Library entry

/** Writes a random model folder; same options → byte-identical files. */
export async function makeRandomModel(opts: MakeRandomModelOptions): Promise<MadeModel> {
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer in 0…4294967295, got ${seed}`);
  const std = opts.initializerRange ?? 0.02;
  if (!(std > 0)) throw new Error(`initializer range must be positive, got ${std}`);
  const vocab = opts.vocab === undefined ? undefined : await vocabSource(opts.vocab);
  const shape = resolveShape({ ...opts, ...(vocab && { vocabSize: vocab.vocabSize }) });
  await mkdir(opts.out, { recursive: true });
  const files = ['config.json', 'model.safetensors'];
  await writeFile(join(opts.out, 'config.json'), configJson(shape, std, seed));
  const state = randomStateDict(shape, seed, std);
  await writeSafetensors(join(opts.out, 'model.safetensors'), state, { format: 'pt' });
  for (const f of vocab?.files ?? []) {
    // Read + write rather than copyFile: the copy must not inherit a read-only mode from shared data.
    if (resolve(f) !== resolve(join(opts.out, basename(f)))) await writeFile(join(opts.out, basename(f)), await readFile(f));
    files.push(basename(f));
  }
  const parameters = [...state.values()].reduce((n, t) => n + t.data.length, 0);
  return { dir: opts.out, shape, files, parameters };
}

// ---------------------------------------------------------------------------------------------
// CLI

export async function main(argv: string[]): Promise<void> {
  const a = await yargs(argv)
    .scriptName('make-random-model')
    .usage('$0 --out DIR [options]\n\nWrites a deterministic random BERT cross-encoder (config.json + model.safetensors) in HF layout.')
    .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
    .option('preset', { choices: Object.keys(PRESETS) as PresetName[], default: 'minilm-l6' as PresetName, describe: 'model shape' })
    .option('seed', { type: 'number', default: 0, describe: 'unsigned 32-bit seed' })
    .option('vocab', { type: 'string', describe: 'vocab.txt or tokenizer.json (or their folder) to copy; sets vocab_size' })
    .option('layers', { type: 'number', describe: 'override num_hidden_layers' })
    .option('hidden', { type: 'number', describe: 'override hidden_size' })
    .option('heads', { type: 'number', describe: 'override num_attention_heads' })
    .option('ffn', { type: 'number', describe: 'override intermediate_size' })
    .option('labels', { type: 'number', describe: 'override num_labels' })
    .option('std', { type: 'number', default: 0.02, describe: 'weight standard deviation (initializer_range)' })
    .strict()
    .version(false)
    .help()
    .parseAsync();
  const made = await makeRandomModel({
    out: a.out,
    preset: a.preset,
    seed: a.seed,
    initializerRange: a.std,
    ...(a.vocab !== undefined && { vocab: a.vocab }),
    ...(a.layers !== undefined && { layers: a.layers }),
    ...(a.hidden !== undefined && { hidden: a.hidden }),
    ...(a.heads !== undefined && { heads: a.heads }),
    ...(a.ffn !== undefined && { ffn: a.ffn }),
    ...(a.labels !== undefined && { labels: a.labels }),
  });
  const s = made.shape;
  process.stdout.write(
    `${made.dir}: ${a.preset} seed ${a.seed}, ${s.numLayers} layers, hidden ${s.hiddenSize}, ${s.numHeads} heads, ffn ${s.intermediateSize}, ` +
      `vocab ${s.vocabSize}, ${s.numLabels} label(s); ${(made.parameters / 1e6).toFixed(2)} M parameters; wrote ${made.files.join(', ')}\n`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(hideBin(process.argv)).catch((e: unknown) => {
    process.stderr.write(`make-random-model: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
