/**
 * celens benchmark (not a test: it measures and prints). MiniLM-L6-shaped random weights, on
 * each backend in turn: forward throughput on a synthetic batch and on real DL19 pairs,
 * forward+backward with gradients at every layer's ffn.pre, memory, and a per-kernel profile.
 * Prints a markdown table and writes JSON (bench/results/foundation.json; --quick: quick.json).
 *
 * The cpu backend is ~30× slower than wasm, so by default it runs smaller batches and fewer
 * pairs (every cell names its sizes); size flags (--batch, --pairs, --runs, …) set both backends.
 *
 *   npm run bench -- [--backends wasm,cpu] [--runs N] [--pairs N] [--quick] [--no-profile]
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { readConfig } from '../src/weights/config.js';
import type { BackendName } from '../src/backend/select.js';
import { PRESETS } from '../scripts/make-random-model.js';
import type { PresetName } from '../scripts/make-random-model.js';
import { encodeDl19, loadDl19Pairs } from './dl19.js';
import type { Encoded } from './dl19.js';
import { environment } from './env.js';
import { ensureBenchModel } from './model.js';
import { RssMonitor } from './rss.js';
import { benchBackend } from './suite.js';
import type { BackendReport, Sizes } from './suite.js';
import { markdownTable } from './table.js';
import type { BenchReport } from './table.js';

export type BenchBackend = BackendName;

/** tfjs-node's backends, benchmarked when their optional package is installed (at wasm's sizes). */
const NATIVE: ReadonlyArray<{ backend: BenchBackend; pkg: string }> = [
  { backend: 'tensorflow', pkg: '@tensorflow/tfjs-node' },
  { backend: 'tensorflow-gpu', pkg: '@tensorflow/tfjs-node-gpu' },
];

/** The native backends whose package resolves from here (none on this project's machines). */
export function installedNativeBackends(resolvePkg: (pkg: string) => string = createRequire(import.meta.url).resolve): BenchBackend[] {
  return NATIVE.filter(({ pkg }) => {
    try {
      resolvePkg(pkg);
      return true;
    } catch {
      return false;
    }
  }).map(({ backend }) => backend);
}

/** The sizes a backend runs at: cpu its own (it is ~30× slower), the others wasm's. */
export function sizesFor(o: Pick<BenchOptions, 'sizes'>, b: BenchBackend): Sizes {
  return b === 'cpu' ? o.sizes.cpu : o.sizes.wasm;
}

export interface BenchOptions {
  backends: BenchBackend[];
  preset: PresetName;
  modelDir: string;
  sizes: Record<'wasm' | 'cpu', Sizes>;
  /** Truncation length of the DL19 pairs. */
  maxLength: number;
  data: string;
  tokenizer: string;
  profile: boolean;
  out: string;
}

const SHARED = resolve(process.cwd(), '../shared');

export const BENCH_DEFAULTS: BenchOptions = {
  backends: ['wasm', 'cpu', ...installedNativeBackends()],
  preset: 'minilm-l6',
  modelDir: 'bench/.cache/minilm-l6-random',
  sizes: {
    // 500 DL19 pairs = the first 5 queries × 100 BM25 hits (longest batch: 32 × 227 tokens).
    wasm: { batch: 32, seq: 128, gradBatch: 8, gradSeq: 128, pairs: 500, dl19Batch: 32, dl19MaxTokens: 0, runs: 5, warmup: 1 },
    // One cpu forward of 32×128 takes minutes: same sequence length, smaller batches.
    cpu: { batch: 4, seq: 128, gradBatch: 2, gradSeq: 128, pairs: 8, dl19Batch: 8, dl19MaxTokens: 0, runs: 2, warmup: 0 },
  },
  maxLength: 512,
  data: join(SHARED, 'data/trec-dl-2019-passage/retrieve_results_dl19.json'),
  tokenizer: join(SHARED, 'data/ms-marco-MiniLM-L-6-v2'),
  profile: true,
  out: 'bench/results/foundation.json',
};

const QUICK_SIZES: Sizes = { batch: 4, seq: 16, gradBatch: 2, gradSeq: 16, pairs: 16, dl19Batch: 8, dl19MaxTokens: 0, runs: 2, warmup: 1 };

/** --quick: a tiny model and tiny sizes, for a smoke run in seconds. */
export const QUICK: Partial<BenchOptions> = {
  preset: 'tiny',
  modelDir: 'bench/.cache/tiny-random',
  sizes: { wasm: QUICK_SIZES, cpu: QUICK_SIZES },
  maxLength: 128,
  out: 'bench/results/quick.json',
};

export async function runBench(o: BenchOptions, log: (line: string) => void = () => undefined): Promise<BenchReport> {
  const env = await environment();
  const made = await ensureBenchModel({ dir: o.modelDir, preset: o.preset });
  if (made.made) log(`made ${o.modelDir} in ${(made.ms / 1000).toFixed(1)} s`);
  const c = await readConfig(join(o.modelDir, 'config.json'));
  const maxPairs = Math.max(0, ...o.backends.map((b) => sizesFor(o, b).pairs));
  let dl19: BenchReport['dl19'];
  let encoded: Encoded | undefined;
  const absent = maxPairs > 0 ? await firstMissing([o.data, o.tokenizer]) : undefined;
  if (absent !== undefined) {
    dl19 = { file: o.data, pairs: 0, queries: 0, tokenizer: o.tokenizer, tokenizeMs: 0, skipped: `${absent} not found` };
  } else if (maxPairs > 0) {
    const { pairs, queries } = await loadDl19Pairs(o.data, maxPairs);
    encoded = await encodeDl19(o.tokenizer, pairs, o.maxLength);
    dl19 = { file: o.data, pairs: pairs.length, queries, tokenizer: encoded.tokenizer, tokenizeMs: encoded.tokenizeMs };
    log(`tokenized ${pairs.length} DL19 pairs in ${encoded.tokenizeMs.toFixed(0)} ms`);
  }
  const monitor = await RssMonitor.start();
  const backends: BackendReport[] = [];
  try {
    for (const b of o.backends) {
      log(`${b}: running…`);
      const r = await benchBackend(b, { modelDir: o.modelDir, sizes: sizesFor(o, b), ...(encoded && { dl19: encoded }), profile: o.profile, log }, monitor);
      backends.push(r);
      log(`${b}: done in ${r.wallS.toFixed(1)} s`);
    }
  } finally {
    await monitor.stop();
  }
  return {
    env,
    model: { dir: o.modelDir, preset: o.preset, layers: c.numLayers, hidden: c.hiddenSize, heads: c.numHeads, ffn: c.intermediateSizes[0] ?? 0, vocab: c.vocabSize },
    options: { maxLength: o.maxLength, profile: o.profile, backends: o.backends },
    ...(dl19 && { dl19 }),
    backends,
  };
}

async function firstMissing(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if ((await stat(p).catch(() => undefined)) === undefined) return p;
  return undefined;
}

const SIZE_FLAGS = {
  runs: 'runs',
  warmup: 'warmup',
  pairs: 'pairs',
  batch: 'batch',
  seq: 'seq',
  'grad-batch': 'gradBatch',
  'grad-seq': 'gradSeq',
  'dl19-batch': 'dl19Batch',
  'dl19-max-tokens': 'dl19MaxTokens',
} as const satisfies Record<string, keyof Sizes>;

export async function parseBenchArgs(argv: string[]): Promise<BenchOptions> {
  const d = BENCH_DEFAULTS;
  const w = d.sizes.wasm;
  const c = d.sizes.cpu;
  const both = (k: keyof Sizes): string => `(default wasm ${w[k]}, cpu ${c[k]})`;
  let y = yargs(argv)
    .scriptName('bench')
    .usage('npm run bench -- [options]\n\nMeasures celens forward/backward speed and memory on random MiniLM-L6-shaped weights.\nSize flags apply to every backend.')
    .option('backends', { type: 'string', default: d.backends.join(','), describe: 'comma-separated: wasm, cpu, and tensorflow / tensorflow-gpu where @tensorflow/tfjs-node(-gpu) is installed (then also by default)' })
    .option('preset', { choices: Object.keys(PRESETS) as PresetName[], describe: `model shape (default ${d.preset})` })
    .option('model-dir', { type: 'string', describe: 'where the random model is cached (default bench/.cache/<preset>-random)' })
    .option('max-length', { type: 'number', describe: `DL19 truncation length (default ${d.maxLength})` })
    .option('data', { type: 'string', default: d.data, describe: 'retrieve_results_dl19.json' })
    .option('tokenizer', { type: 'string', default: d.tokenizer, describe: 'folder with the MiniLM tokenizer files' })
    .option('profile', { type: 'boolean', default: true, describe: 'per-kernel profile (tf.profile); --no-profile skips it' })
    .option('quick', { type: 'boolean', default: false, describe: 'tiny model and sizes (smoke run)' })
    .option('out', { type: 'string', describe: `JSON output (default ${d.out})` });
  for (const [flag, key] of Object.entries(SIZE_FLAGS)) y = y.option(flag, { type: 'number', describe: `${key} ${both(key)}` });
  const a = await y.strict().version(false).help().parseAsync();
  const base: BenchOptions = { ...d, ...(a.quick ? QUICK : {}) };
  const backends = a.backends.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const installed = installedNativeBackends();
  for (const b of backends) {
    const native = NATIVE.find((n) => n.backend === b);
    if (native !== undefined && !installed.includes(native.backend)) throw new Error(`--backends: '${b}' needs ${native.pkg}, which is not installed`);
    if (b !== 'wasm' && b !== 'cpu' && native === undefined) throw new Error(`--backends: '${b}' is not wasm, cpu, tensorflow or tensorflow-gpu`);
  }
  if (backends.length === 0) throw new Error('--backends: name at least one backend');
  const override: Partial<Sizes> = {};
  for (const [flag, key] of Object.entries(SIZE_FLAGS)) {
    const v = (a as Record<string, unknown>)[flag];
    if (v === undefined) continue;
    const min = key === 'warmup' || key === 'pairs' || key === 'dl19MaxTokens' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`--${flag}: must be an integer >= ${min}, got ${String(v)}`);
    override[key] = v;
  }
  const preset = a.preset ?? base.preset;
  return {
    ...base,
    backends: backends as BenchBackend[],
    preset,
    modelDir: a['model-dir'] ?? (a.preset !== undefined ? `bench/.cache/${preset}-random` : base.modelDir),
    sizes: { wasm: { ...base.sizes.wasm, ...override }, cpu: { ...base.sizes.cpu, ...override } },
    maxLength: a['max-length'] ?? base.maxLength,
    data: a.data,
    tokenizer: a.tokenizer,
    profile: a.profile,
    out: a.out ?? base.out,
  };
}

export async function main(argv: string[]): Promise<void> {
  const o = await parseBenchArgs(argv);
  const report = await runBench(o, (line) => process.stderr.write(`bench: ${line}\n`));
  const table = markdownTable(report);
  process.stdout.write(`${table}\n`);
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, `${JSON.stringify({ ...report, table }, null, 1)}\n`);
  process.stderr.write(`bench: wrote ${o.out}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(hideBin(process.argv)).catch((e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
