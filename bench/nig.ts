/**
 * NIG benchmark (issue: attribution engine). MiniLM-L6 shape, random weights, one (query, passage)
 * pair at seq 128 laid out as torch_nig.py lays it out (first third type 0), m = 20, all layers'
 * ffn.pre. Measures celens NIG per pair (wasm in-process, wasm with 2 workers, cpu), next to
 * m × (forward + backward) of the same model, 100 DL19 pairs at their real lengths, peak RSS, and
 * in the same run the PyTorch yardstick (../shared/bench/torch_nig.py) for side-by-side ratios.
 *
 *   npm run bench:nig -- [--runs 3] [--dl19 100] [--no-cpu] [--no-torch]
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { selectBackend } from '../src/backend/select.js';
import { loadModel, disposeModel } from '../src/model/load.js';
import type { LoadedModel } from '../src/model/load.js';
import { toInputs, disposeInputs } from '../src/model/inputs.js';
import type { TokenBatch } from '../src/model/inputs.js';
import { runModel, disposeRun } from '../src/hooks/run.js';
import { layerSite } from '../src/model/sites.js';
import { nigBatch } from '../src/attribution/nig.js';
import { unpad } from '../src/attribution/attribute.js';
import { attributeStreamParallel } from '../src/attribution/pool.js';
import { attributeStream } from '../src/attribution/attribute.js';
import type { PairEncoding } from '../src/tokenize/tokenizer.js';
import { ensureBenchModel } from './model.js';
import { syntheticBatch, benchForward } from './forward.js';
import { timeRuns } from './stats.js';
import type { Timing } from './stats.js';
import { encodeDl19, loadDl19Pairs } from './dl19.js';
import { highWaterMark, mib } from './rss.js';
import { environment } from './env.js';

const SHARED = resolve(process.cwd(), '../shared');
const MODEL_DIR = 'bench/.cache/minilm-l6-random';
const M = 20;
const T = 128;

/** One pair like torch_nig.py's: [CLS] query [SEP] at type 0 for the first third, passage after. */
function onePair(model: LoadedModel, n = 1): TokenBatch {
  const b = syntheticBatch(model.config, n, T, 7);
  const q = Math.floor(T / 3);
  for (let r = 0; r < n; r++) {
    b.inputIds[r * T] = 101;
    b.inputIds[r * T + q - 1] = 102;
    b.inputIds[r * T + T - 1] = 102;
  }
  return b;
}

async function nigPerPair(model: LoadedModel, runs: number, chunk: number): Promise<Timing> {
  const batch = onePair(model);
  return timeRuns(async () => void (await nigBatch(model, batch, { steps: M, chunk })), runs, 1);
}

/** One forward+backward with gradients at every layer's ffn.pre, at batch `rows` × T. */
async function fwdBwd(model: LoadedModel, rows: number, runs: number): Promise<Timing> {
  const inputs = toInputs(syntheticBatch(model.config, rows, T, 3), model.config);
  const grad = Array.from({ length: model.config.numLayers }, (_v, l) => layerSite(l, 'ffn.pre'));
  try {
    return await timeRuns(async () => disposeRun(runModel(model, inputs, { grad, capture: grad })), runs, 1);
  } finally {
    disposeInputs(inputs);
  }
}

async function streamWall(pairs: PairEncoding[], workers: number, model: LoadedModel): Promise<number> {
  const t0 = performance.now();
  const o = { steps: M, pairsPerBatch: 1 };
  const stream = workers > 1 ? attributeStreamParallel(MODEL_DIR, pairs, o, { workers, backend: 'wasm' }) : attributeStream(model, pairs, o);
  for await (const _r of stream) void _r;
  return performance.now() - t0;
}

async function torch(runs: number): Promise<Record<string, unknown> | string> {
  const script = join(SHARED, 'bench/torch_nig.py');
  const out = join(tmpdir(), `torch-nig-${process.pid}.json`);
  try {
    await promisify(execFile)('/usr/bin/python3', [script, '--runs', String(runs), '--json', out], { timeout: 1_800_000 });
    return JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    return `skipped: ${(e as Error).message.split('\n')[0] ?? ''} (apt-get install -y python3-torch libopenblas0-openmp)`;
  }
}

export async function main(argv: string[]): Promise<void> {
  const a = await yargs(argv)
    .option('runs', { type: 'number', default: 3 })
    .option('dl19', { type: 'number', default: 100, describe: 'DL19 pairs at real lengths (0 skips)' })
    .option('cpu', { type: 'boolean', default: true })
    .option('torch', { type: 'boolean', default: true })
    .option('out', { type: 'string', default: 'bench/results/nig.json' })
    .strict()
    .parse();
  const log = (s: string): boolean => process.stderr.write(`bench:nig: ${s}\n`);
  await ensureBenchModel({ dir: MODEL_DIR, preset: 'minilm-l6' });
  const rows: Array<[string, string]> = [];
  const res: Record<string, unknown> = { env: await environment(), shape: 'MiniLM-L6 (6×384, 12 heads, FFN 1536), seq 128, m 20, all layers ffn.pre' };

  await selectBackend('wasm');
  let model = await loadModel(MODEL_DIR);
  const fwd = await benchForward(model, { batch: 32, seq: T, runs: a.runs });
  log(`wasm forward 32×128: ${fwd.timing.medianMs.toFixed(0)} ms`);
  const nig10 = await nigPerPair(model, a.runs, 10);
  log(`wasm NIG chunk 10: ${nig10.medianMs.toFixed(0)} ms`);
  const fb1 = await fwdBwd(model, 1, a.runs);
  const fb10 = await fwdBwd(model, 10, a.runs);
  const two = unpad(onePair(model, 2));
  const w1 = await streamWall(two, 1, model);
  const w2 = await streamWall(two, 2, model);
  log(`wasm 2 pairs: 1 worker ${w1.toFixed(0)} ms, 2 workers ${w2.toFixed(0)} ms`);
  rows.push(['wasm forward, 32 × 128', `${fwd.pairsPerSec.toFixed(1)} pairs/s (${fwd.timing.medianMs.toFixed(0)} ms)`]);
  rows.push(['wasm NIG per pair (m=20, chunk 10, 1 thread)', `${nig10.medianMs.toFixed(0)} ms (min ${nig10.minMs.toFixed(0)}, max ${nig10.maxMs.toFixed(0)})`]);
  rows.push(['wasm NIG per pair, 2 workers (2 pairs / wall)', `${(w2 / 2).toFixed(0)} ms (1 worker: ${(w1 / 2).toFixed(0)} ms)`]);
  rows.push(['wasm m × (fwd+bwd at batch 1)', `${(M * fb1.medianMs).toFixed(0)} ms (${fb1.medianMs.toFixed(0)} ms each)`]);
  rows.push(['wasm 2 × (fwd+bwd at batch 10) = NIG passes', `${(2 * fb10.medianMs).toFixed(0)} ms`]);
  if (a.dl19 > 0) {
    const { pairs } = await loadDl19Pairs(join(SHARED, 'data/trec-dl-2019-passage/retrieve_results_dl19.json'), a.dl19);
    const enc = await encodeDl19(join(SHARED, 'data/ms-marco-MiniLM-L-6-v2'), pairs, 512);
    const mean = enc.encs.reduce((s, e) => s + e.inputIds.length, 0) / enc.encs.length;
    const wall = await streamWall(enc.encs, 2, model);
    rows.push([`wasm NIG, ${enc.encs.length} DL19 pairs (mean ${mean.toFixed(0)} tokens), 2 workers`, `${(wall / 1000).toFixed(1)} s total, ${(wall / enc.encs.length).toFixed(0)} ms/pair`]);
  }
  disposeModel(model);
  if (a.cpu) {
    await selectBackend('cpu');
    model = await loadModel(MODEL_DIR);
    const cpu = await nigPerPair(model, 1, 10);
    rows.push(['cpu NIG per pair (m=20)', `${cpu.medianMs.toFixed(0)} ms`]);
    disposeModel(model);
  }
  rows.push(['peak RSS (this process)', `${mib(highWaterMark() ?? 0).toFixed(0)} MiB`]);
  if (a.torch) {
    const t = await torch(a.runs);
    res.torch = t;
    if (typeof t === 'string') rows.push(['PyTorch yardstick', t]);
    else {
      const [tf1, tOne, tPer] = [t.forward_ms, t.nig_one_pass_ms, t.nig_per_layer_ms].map((v) => (v as number[])[0] as number);
      rows.push(['PyTorch forward 32 × 128 (2 threads)', `${(32 / ((tf1 as number) / 1000)).toFixed(1)} pairs/s`]);
      rows.push(['PyTorch NIG one pass / per layer', `${(tOne as number).toFixed(0)} ms / ${(tPer as number).toFixed(0)} ms`]);
      rows.push(['ratio forward throughput celens/PyTorch', `${(fwd.pairsPerSec / (32 / ((tf1 as number) / 1000))).toFixed(2)}`]);
      rows.push(['ratio NIG time celens(1 thread)/PyTorch one-pass', `${(nig10.medianMs / (tOne as number)).toFixed(2)}`]);
      rows.push(['ratio NIG time celens(1 thread)/PyTorch per-layer', `${(nig10.medianMs / (tPer as number)).toFixed(2)}`]);
    }
  }
  const table = ['| measurement | value |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  process.stdout.write(`${table}\n`);
  await mkdir(dirname(a.out), { recursive: true });
  await writeFile(a.out, `${JSON.stringify({ ...res, rows, table, tf: tf.version_core }, null, 1)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(hideBin(process.argv)).catch((e: unknown) => {
    process.stderr.write(`bench:nig: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
