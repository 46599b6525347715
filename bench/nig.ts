/**
 * Speed benchmark against the PyTorch yardstick (issue: speed). MiniLM-L6 shape, random weights,
 * pairs of 128 tokens laid out as ../shared/bench/torch_nig.py lays them out (first third type 0).
 * Everything a user runs is run as they run it, as child processes, interleaved with PyTorch and
 * repeated (best of --rounds), because this 2-core machine is shared and single runs swing:
 *
 * - `celens attribute MODEL --inputs 8×128 --steps 20` with the defaults (every core), wall time
 *   per pair and the process's peak RSS; next to torch_nig.py's one-pass NIG per pair;
 * - scoring 256×128 pairs as `celens score`/`rerank` score them (bench/score-job.ts), pairs/s;
 *   next to torch_nig.py's forward at 32×128 (after its warm-up), and both as whole fresh processes
 *   (spawn to exit) next to the same job in PyTorch (bench/torch_score_job.py);
 * - 1 vs 2 workers on a 20-pair and a 2-pair attribute job (once each);
 * - where @tensorflow/tfjs-node(-gpu) is installed, the attribute and scoring jobs again on
 *   `--backend tensorflow` (-gpu), one worker (TensorFlow uses every core itself);
 * - where celens' native matMul is in use (src/backend/native.ts), the attribute and scoring jobs
 *   again on the WebAssembly kernel (CELENS_NATIVE=0), interleaved;
 * - matMul GFLOP/s against this core's measured WebAssembly SIMD128 peak and native FMA peak, and a
 *   per-kernel profile of one NIG pair in this process.
 * PyTorch is checked for OpenBLAS (Debian's torch falls back to reference BLAS without
 * libopenblas0-openmp, 5× slower): the table says which BLAS it ran.
 *
 *   npm run bench:nig -- [--rounds 2] [--no-torch] [--no-scale] [--no-profile]
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '../src/backend/tf.js';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { selectBackend } from '../src/backend/select.js';
import { MATMUL_WASM_BASE64 } from '../src/backend/kernels/matmul-wasm.js';
import { nativeStatus, nativePeakGflops } from '../src/backend/native.js';
import { loadModel, disposeModel } from '../src/model/load.js';
import { nigBatch } from '../src/attribution/nig.js';
import { writeTokenBatch } from '../src/model/inputs.js';
import type { TokenBatch } from '../src/tokenize/encode.js';
import { ensureBenchModel } from './model.js';
import { installedNativeBackends } from './run.js';
import type { BenchBackend } from './run.js';
import { syntheticBatch } from './forward.js';
import { profileKernels } from './profile.js';
import { environment } from './env.js';

const run = promisify(execFile);
const SHARED = resolve(process.cwd(), '../shared');
const MODEL_DIR = 'bench/.cache/minilm-l6-random';
const M = 20;
const T = 128;
const CLI = 'dist/cli/bin.js';
const PEAK_RSS = 'dist-all/bench/peak-rss.js';

interface Shape {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  vocabSize: number;
}

interface WebAssemblyApi {
  Memory: new (d: { initial: number }) => object;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** n pairs like torch_nig.py's: [CLS] query [SEP] at type 0 for the first third, passage after. */
function pairs(c: Shape, n: number): TokenBatch {
  const b = syntheticBatch(c, n, T, 7);
  const q = Math.floor(T / 3);
  for (let r = 0; r < n; r++) {
    b.inputIds[r * T] = 101;
    b.inputIds[r * T + q - 1] = 102;
    b.inputIds[r * T + T - 1] = 102;
    for (let t = 0; t < T; t++) b.tokenTypeIds[r * T + t] = t < q ? 0 : 1;
  }
  return b;
}


interface Job {
  ms: number;
  peakRssMiB: number;
}

/** `celens attribute` as a user runs it; wall time of the whole command and its peak RSS. */
async function attributeJob(inputs: string, workers: number | undefined, backend?: BenchBackend, env?: NodeJS.ProcessEnv): Promise<Job> {
  const dir = await mkdtemp(join(tmpdir(), 'celens-bench-'));
  const args = ['--import', `./${PEAK_RSS}`, CLI, 'attribute', MODEL_DIR, '--inputs', inputs, '--steps', String(M), '--out', join(dir, 'out.jsonl')];
  if (workers !== undefined) args.push('--workers', String(workers));
  if (backend !== undefined) args.push('--backend', backend);
  const t0 = performance.now();
  try {
    const { stderr } = await run(process.execPath, args, { maxBuffer: 64 << 20, timeout: 1_800_000, ...(env && { env }) });
    const ms = performance.now() - t0;
    const kib = /celens-bench-peak-rss-kib (\d+)/.exec(stderr);
    return { ms, peakRssMiB: kib ? Number(kib[1]) / 1024 : NaN };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface ScoreRun {
  /** The whole job, from its start (every model load and worker start included). */
  ms: number;
  /** Pairs/s once every worker has scored its first batch. */
  steadyPairsPerSec: number | undefined;
  /** The whole process, from spawn to exit (node's start and the imports included). */
  processMs: number;
}

/** A child process that prints a JSON line last: that line, and the process's time from spawn to exit. */
async function timedJsonProcess<R>(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<R & { processMs: number }> {
  const t0 = performance.now();
  const { stdout } = await run(file, args, { timeout: 1_800_000, ...(env && { env }) });
  const processMs = performance.now() - t0;
  return { ...(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as R), processMs };
}

function scoreJob(n: number, workers: number, backend: BenchBackend = 'wasm', env?: NodeJS.ProcessEnv): Promise<ScoreRun> {
  return timedJsonProcess<Omit<ScoreRun, 'processMs'>>(process.execPath, ['dist-all/bench/score-job.js', MODEL_DIR, '--pairs', String(n), '--seq', String(T), '--workers', String(workers), '--backend', backend], env);
}

/** The children's environment with celens' native matMul off: the WebAssembly kernel does every product. */
const WASM_KERNEL_ENV = (): NodeJS.ProcessEnv => ({ ...process.env, CELENS_NATIVE: '0' });

interface TorchScore {
  /** The whole process, from spawn to exit (the interpreter's start and `import torch` included). */
  processMs: number;
  steadyPairsPerSec: number;
  importMs: number;
}

/** The same scoring job in PyTorch as a fresh process does it (bench/torch_score_job.py), timed the same way. */
function torchScoreJob(n: number, threads: number): Promise<TorchScore> {
  return timedJsonProcess<Omit<TorchScore, 'processMs'>>('/usr/bin/python3', ['bench/torch_score_job.py', '--pairs', String(n), '--seq', String(T), '--threads', String(threads)], torchEnv());
}

interface Torch {
  forwardMs: number;
  nigOnePassMs: number;
  nigPerLayerMs: number;
}

/**
 * Debian can hold OpenBLAS twice, and its alternatives pick the pthread build (priority 100) over
 * the OpenMP one (95) when both are installed. Under torch's OpenMP threads the pthread build ran
 * the yardstick's one-pass NIG in 1.89 s against 1.03 s for the OpenMP build (this machine, side by
 * side, 2 threads): the yardstick is the OpenMP build (libopenblas0-openmp), as the issue asks, so
 * torch runs with it first on the library path wherever it is installed.
 */
const OPENBLAS_OPENMP = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const torchEnv = (): NodeJS.ProcessEnv => (existsSync(OPENBLAS_OPENMP) ? { ...process.env, LD_LIBRARY_PATH: [OPENBLAS_OPENMP, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : process.env);

async function torchRun(): Promise<Torch> {
  const out = join(tmpdir(), `torch-nig-${process.pid}.json`);
  await run('/usr/bin/python3', [join(SHARED, 'bench/torch_nig.py'), '--runs', '1', '--json', out], { timeout: 1_800_000, env: torchEnv() });
  const r = JSON.parse(await readFile(out, 'utf8')) as Record<string, number[]>;
  const first = (k: string): number => (r[k] as number[])[0] as number;
  return { forwardMs: first('forward_ms'), nigOnePassMs: first('nig_one_pass_ms'), nigPerLayerMs: first('nig_per_layer_ms') };
}

/** Which BLAS Debian's torch loads: OpenBLAS, or the reference BLAS that makes it 5× slower. */
async function torchBlas(): Promise<string> {
  const py = "import torch; torch.ones(256,256)@torch.ones(256,256); m=open('/proc/self/maps').read(); print('OpenBLAS (' + next(l.split()[-1] for l in m.splitlines() if 'openblas' in l) + ')' if 'openblas' in m else ('REFERENCE BLAS: apt-get install -y libopenblas0-openmp (torch is ~5x slow without it)' if 'libblas' in m else 'no BLAS library seen'))";
  const { stdout } = await run('/usr/bin/python3', ['-c', py], { timeout: 120_000, env: torchEnv() });
  return stdout.trim();
}

/** This core's SIMD128 multiply+add rate (kernels/matmul.c simd_peak), best of 300 calls. */
function simdPeakGflops(): number {
  const bytes = Uint8Array.from(atob(MATMUL_WASM_BASE64), (ch) => ch.charCodeAt(0));
  const memory = new WA.Memory({ initial: 2 });
  const inst = new WA.Instance(new WA.Module(bytes), { env: { memory } });
  const peak = inst.exports.simd_peak as (iters: number) => number;
  const iters = 100_000;
  let best = Infinity;
  for (let r = 0; r < 300; r++) {
    const t0 = performance.now();
    peak(iters);
    best = Math.min(best, performance.now() - t0);
  }
  return (4 * 12 * iters) / best / 1e6;
}

/** MatMul FLOPs of one NIG pair (m+1 points, each a forward and an activation backward). */
function nigFlops(c: Shape): number {
  const { hiddenSize: H, intermediateSize: I, numLayers: L } = c;
  const linears = 2 * T * (4 * H * H + 2 * H * I);
  const fwd = L * (linears + 4 * T * T * H);
  const bwd = L * (linears + 8 * T * T * H);
  return (M + 1) * (fwd + bwd);
}

const best = (xs: number[]): number => Math.min(...xs);
const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => x.toFixed(2);

export async function main(argv: string[]): Promise<void> {
  const a = await yargs(argv)
    .option('rounds', { type: 'number', default: 2 })
    .option('pairs', { type: 'number', default: 8, describe: 'pairs in the attribute job' })
    .option('torch', { type: 'boolean', default: true })
    .option('scale', { type: 'boolean', default: true, describe: '1 vs 2 workers on 20- and 2-pair jobs' })
    .option('profile', { type: 'boolean', default: true })
    .option('wasm-kernel', { type: 'boolean', default: true, describe: 'where the native matMul is in use, also run the attribute and scoring jobs on the WebAssembly kernel (CELENS_NATIVE=0)' })
    .option('out', { type: 'string', default: 'bench/results/nig.json' })
    .strict()
    .parse();
  const log = (s: string): boolean => process.stderr.write(`bench:nig: ${s}\n`);
  await ensureBenchModel({ dir: MODEL_DIR, preset: 'minilm-l6' });
  const config = JSON.parse(await readFile(join(MODEL_DIR, 'config.json'), 'utf8')) as { hidden_size: number; intermediate_size: number; num_hidden_layers: number };
  const cfg: Shape = { hiddenSize: config.hidden_size, intermediateSize: config.intermediate_size, numLayers: config.num_hidden_layers, vocabSize: 30522 };
  const work = await mkdtemp(join(tmpdir(), 'celens-bench-in-'));
  const inputs = (n: number): string => join(work, `in-${n}x${T}.safetensors`);
  for (const n of new Set([a.pairs, 20, 2])) await writeTokenBatch(inputs(n), pairs(cfg, n));
  const cores = availableParallelism();
  const rows: Array<[string, string]> = [];
  const res: Record<string, unknown> = { env: await environment(), cores, shape: 'MiniLM-L6 (6×384, 12 heads, FFN 1536), seq 128, m 20, all layers ffn.pre' };

  const blas = a.torch ? await torchBlas().catch((e: unknown) => `torch unavailable: ${(e as Error).message.split('\n')[0] ?? ''}`) : 'skipped';
  const torchOk = a.torch && !blas.startsWith('torch unavailable');
  const nig: Job[] = [];
  const score: ScoreRun[] = [];
  const torch: Torch[] = [];
  const torchScore: TorchScore[] = [];
  // tfjs-node's backends where installed (one worker: TensorFlow uses every core itself).
  const native = installedNativeBackends();
  const nativeRuns: Partial<Record<BenchBackend, Array<{ nig: Job; score: ScoreRun }>>> = {};
  // The matMul kernel the jobs use (the children inherit this environment), and the same jobs on
  // the WebAssembly kernel beside them where the native one is in use.
  const kernel = nativeStatus();
  const wasmKernel = a.wasmKernel && kernel.isa !== null;
  const wasmRuns: Array<{ nig: Job; score: ScoreRun }> = [];
  for (let r = 0; r < a.rounds; r++) {
    nig.push(await attributeJob(inputs(a.pairs), undefined));
    log(`round ${r + 1}: attribute ${a.pairs}×${T}: ${f1(nig[r]!.ms / 1000)} s, peak RSS ${nig[r]!.peakRssMiB.toFixed(0)} MiB`);
    if (torchOk) {
      torch.push(await torchRun());
      log(`round ${r + 1}: torch NIG one pass ${torch[r]!.nigOnePassMs.toFixed(0)} ms, forward 32×128 ${torch[r]!.forwardMs.toFixed(0)} ms`);
    }
    for (const b of native) {
      const job = await attributeJob(inputs(a.pairs), undefined, b);
      const sc = await scoreJob(256, 1, b);
      (nativeRuns[b] ??= []).push({ nig: job, score: sc });
      log(`round ${r + 1}: --backend ${b}: attribute ${a.pairs}×${T} ${f1(job.ms / 1000)} s, score 256×${T} ${f1(sc.ms / 1000)} s`);
    }
    if (wasmKernel) {
      const job = await attributeJob(inputs(a.pairs), undefined, undefined, WASM_KERNEL_ENV());
      const sc = await scoreJob(256, cores, 'wasm', WASM_KERNEL_ENV());
      wasmRuns.push({ nig: job, score: sc });
      log(`round ${r + 1}: WebAssembly kernel (CELENS_NATIVE=0): attribute ${a.pairs}×${T} ${f1(job.ms / 1000)} s, score 256×${T} ${f1(sc.ms / 1000)} s`);
    }
    score.push(await scoreJob(256, cores));
    log(`round ${r + 1}: score 256×${T}: ${f1(score[r]!.ms / 1000)} s, whole process ${f1(score[r]!.processMs / 1000)} s (steady ${f1(score[r]!.steadyPairsPerSec ?? NaN)} pairs/s)`);
    if (torchOk) {
      torchScore.push(await torchScoreJob(256, cores));
      log(`round ${r + 1}: torch score 256×${T}: whole process ${f1(torchScore[r]!.processMs / 1000)} s (import torch ${f1(torchScore[r]!.importMs / 1000)} s, steady ${f1(torchScore[r]!.steadyPairsPerSec)} pairs/s)`);
    }
  }
  const nigPerPair = best(nig.map((j) => j.ms)) / a.pairs;
  const pairsPerSec = 256 / (best(score.map((x) => x.ms)) / 1000);
  const steadyPerSec = Math.max(...score.map((x) => x.steadyPairsPerSec ?? 0));
  const flops = nigFlops(cfg);
  const peak = simdPeakGflops();
  rows.push([`celens attribute ${a.pairs}×${T}, m=${M}, defaults (${cores} workers), per pair`, `${f2(nigPerPair / 1000)} s (runs: ${nig.map((j) => f1(j.ms / 1000)).join(', ')} s for ${a.pairs} pairs)`]);
  rows.push(['… peak RSS of that command (worker threads included)', `${Math.max(...nig.map((j) => j.peakRssMiB)).toFixed(0)} MiB`]);
  rows.push(['… matMul work per pair, rate', `${f1(flops / 1e9)} GFLOP, ${f1(flops / 1e6 / nigPerPair)} GFLOP/s over ${cores} cores`]);
  rows.push(['matMul kernel', kernel.isa !== null ? `native, ${kernel.isa} (native/matmul.c)` : `WebAssembly SIMD128 (kernels/matmul.c): ${kernel.why}`]);
  rows.push(['WebAssembly SIMD128 peak of one core (mul+add, measured)', `${f1(peak)} GFLOP/s (${f1(peak * cores)} for ${cores} cores)`]);
  const fmaPeak = nativePeakGflops();
  if (fmaPeak !== null) rows.push([`native ${kernel.isa ?? ''} FMA peak of one core (measured)`, `${f1(fmaPeak)} GFLOP/s (${f1(fmaPeak * cores)} for ${cores} cores)`]);
  rows.push([`celens scoring 256×${T} (score/rerank path, ${cores} workers), whole job from its start`, `${f1(pairsPerSec)} pairs/s`]);
  rows.push(['… once every worker has scored its first batch (steady state)', `${f1(steadyPerSec)} pairs/s`]);
  rows.push(['PyTorch BLAS', blas]);
  if (torch.length > 0) {
    const tOne = best(torch.map((t) => t.nigOnePassMs));
    const tPer = best(torch.map((t) => t.nigPerLayerMs));
    const tFwd = 32 / (best(torch.map((t) => t.forwardMs)) / 1000);
    rows.push(['PyTorch NIG per pair, one pass / one layer per pass (2 threads)', `${f2(tOne / 1000)} s / ${f2(tPer / 1000)} s`]);
    rows.push(['PyTorch forward 32×128 (2 threads)', `${f1(tFwd)} pairs/s`]);
    rows.push(['**ratio NIG time celens / PyTorch one-pass** (target ≤ 1.5, at least ≤ 2.5)', `**${f2(nigPerPair / tOne)}**`]);
    rows.push(['ratio NIG time celens / PyTorch per-layer (Captum way)', f2(nigPerPair / tPer)]);
    rows.push(['**ratio scoring throughput celens / PyTorch** (target ≥ 0.8, at least ≥ 0.4): whole job', `**${f2(pairsPerSec / tFwd)}**`]);
    rows.push(['ratio scoring throughput celens / PyTorch, steady state (start-up excluded, as PyTorch\'s figure excludes its own)', f2(steadyPerSec / tFwd)]);
    const cProc = best(score.map((x) => x.processMs));
    const tProc = best(torchScore.map((x) => x.processMs));
    rows.push([`scoring 256×${T} as a fresh process, spawn to exit: celens (score-job) / PyTorch (bench/torch_score_job.py, ${cores} threads)`, `${f1(cProc / 1000)} s / ${f1(tProc / 1000)} s (PyTorch's import ${f1(Math.min(...torchScore.map((x) => x.importMs)) / 1000)} s; its steady rate ${f1(Math.max(...torchScore.map((x) => x.steadyPairsPerSec)))} pairs/s)`]);
    rows.push(['ratio scoring throughput celens / PyTorch, both whole processes (like for like)', f2(tProc / cProc)]);
    res.torch = torch;
    res.torchScore = torchScore;
  }
  const tOnePass = torch.length > 0 ? best(torch.map((t) => t.nigOnePassMs)) : undefined;
  const tForward = torch.length > 0 ? 32 / (best(torch.map((t) => t.forwardMs)) / 1000) : undefined;
  for (const [b, runs] of Object.entries(nativeRuns)) {
    const perPair = best(runs.map((x) => x.nig.ms)) / a.pairs;
    const rate = 256 / (best(runs.map((x) => x.score.ms)) / 1000);
    const vs = (x: number | undefined, f: (t: number) => number): string => (x === undefined ? '' : ` (${f2(f(x))}× PyTorch)`);
    rows.push([`--backend ${b} (tfjs-node, 1 worker): attribute per pair / scoring whole job`, `${f2(perPair / 1000)} s${vs(tOnePass, (t) => perPair / t)} / ${f1(rate)} pairs/s${vs(tForward, (t) => rate / t)}`]);
  }
  res.native = nativeRuns;
  if (wasmRuns.length > 0) {
    const perPair = best(wasmRuns.map((x) => x.nig.ms)) / a.pairs;
    const rate = 256 / (best(wasmRuns.map((x) => x.score.ms)) / 1000);
    const vs = (x: number | undefined, f: (t: number) => number): string => (x === undefined ? '' : `, ${f2(f(x))}× PyTorch`);
    rows.push([`the same jobs on the WebAssembly kernel (CELENS_NATIVE=0): attribute per pair / scoring whole job`, `${f2(perPair / 1000)} s (native ×${f2(perPair / nigPerPair)}${vs(tOnePass, (t) => perPair / t)}) / ${f1(rate)} pairs/s (native ×${f2(pairsPerSec / rate)}${vs(tForward, (t) => rate / t)})`]);
    res.wasmKernel = wasmRuns;
  }
  res.matmul = { ...kernel, fmaPeakGflops: fmaPeak };
  if (a.scale) {
    for (const n of [20, 2]) {
      const w1 = await attributeJob(inputs(n), 1);
      const w2 = await attributeJob(inputs(n), 2);
      log(`${n} pairs: 1 worker ${f1(w1.ms / 1000)} s, 2 workers ${f1(w2.ms / 1000)} s`);
      rows.push([`attribute ${n}×${T}: 1 worker / 2 workers (whole command)`, `${f1(w1.ms / 1000)} s / ${f1(w2.ms / 1000)} s = ×${f2(w1.ms / w2.ms)} (peak RSS ${w1.peakRssMiB.toFixed(0)} / ${w2.peakRssMiB.toFixed(0)} MiB)`]);
    }
  }
  if (a.profile) {
    await selectBackend('wasm');
    const model = await loadModel(MODEL_DIR);
    const one = pairs(cfg, 1);
    await nigBatch(model, one, { steps: M });
    const p = await profileKernels(async () => void (await nigBatch(model, one, { steps: M })));
    disposeModel(model);
    res.profile = p;
    const prof = ['| kernel | calls | ms | share | GFLOP/s |', '| --- | ---: | ---: | ---: | ---: |', ...p.kernels.slice(0, 12).map((k) => `| ${k.kernel} | ${k.calls} | ${k.ms.toFixed(0)} | ${(100 * k.share).toFixed(1)}% | ${k.gflops !== undefined ? f1(k.gflops) : ''} |`)].join('\n');
    res.profileTable = prof;
    process.stdout.write(`\nPer-kernel profile, one NIG pair in one thread (wall ${p.wallMs.toFixed(0)} ms under tf.profile):\n\n${prof}\n\n`);
  }
  await rm(work, { recursive: true, force: true });
  const table = ['| measurement | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  process.stdout.write(`${table}\n`);
  await mkdir(dirname(a.out), { recursive: true });
  await writeFile(a.out, `${JSON.stringify({ ...res, nig, score, rows, table, tf: tf.version_core }, null, 1)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(hideBin(process.argv)).catch((e: unknown) => {
    process.stderr.write(`bench:nig: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
