/**
 * The benchmark's measurement functions in quick sizes, in-process: they return finite numbers and
 * free every tensor they make. No timing assertions (this is not where speed is judged).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { makeRandomModel } from '../../scripts/make-random-model.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { bertForward } from '../../src/model/bert.js';
import { disposeInputs, toInputs } from '../../src/model/inputs.js';
import { selectBackend } from '../../src/backend/select.js';
import { benchForward, syntheticBatch } from '../../bench/forward.js';
import { benchBackward } from '../../bench/backward.js';
import { benchDl19, encodeDl19, loadDl19Pairs } from '../../bench/dl19.js';
import type { Encoded } from '../../bench/dl19.js';
import { matmulFlops, profileKernels } from '../../bench/profile.js';
import { RssMonitor, highWaterMark } from '../../bench/rss.js';
import { median, timeRuns } from '../../bench/stats.js';
import { BENCH_DEFAULTS, installedNativeBackends, parseBenchArgs, runBench, QUICK } from '../../bench/run.js';
import { markdownTable } from '../../bench/table.js';
import { describeEachBackend } from '../helpers/backends.js';
import { SHARED, maxAbsDiff } from '../helpers/fixture.js';

const DL19 = join(SHARED, 'data/trec-dl-2019-passage/retrieve_results_dl19.json');
const TOKENIZER = join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');

let root: string;
let modelDir: string;
let encoded: Encoded;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'celens-bench-'));
  modelDir = join(root, 'tiny');
  await makeRandomModel({ out: modelDir, preset: 'tiny', seed: 5 });
  const { pairs } = await loadDl19Pairs(DL19, 12);
  encoded = await encodeDl19(TOKENIZER, pairs, 64);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const finite = (x: number): void => expect(Number.isFinite(x)).toBe(true);

describeEachBackend('bench measurements', () => {
  test('forward, DL19, forward+backward and profile return finite numbers and free their tensors', async () => {
    const base = tf.memory().numTensors;
    const model = await loadModel(modelDir);
    const withModel = tf.memory().numTensors;

    const f = await benchForward(model, { batch: 2, seq: 8, runs: 2, warmup: 1 });
    expect(f.timing.samplesMs).toHaveLength(2);
    finite(f.pairsPerSec);
    finite(f.timing.medianMs);
    expect(tf.memory().numTensors).toBe(withModel);

    const d = await benchDl19(model, encoded, { batch: 4, maxTokens: 120 });
    expect(d.pairs).toBe(12);
    expect(d.maxLen).toBeLessThanOrEqual(64);
    expect(d.batches).toBeGreaterThanOrEqual(3);
    expect(d.splitBatches).toBeGreaterThan(0); // 4 × ~64 tokens > 120
    for (const x of [d.pairsPerSec, d.meanLen, d.paddingOverhead, d.totalMs, d.batchMs.median, d.cpuShare]) finite(x);
    expect(tf.memory().numTensors).toBe(withModel);

    const b = await benchBackward(model, { batch: 2, seq: 8, runs: 1, warmup: 0 });
    expect(b.sites).toEqual(['layer.0.ffn.pre', 'layer.1.ffn.pre']);
    finite(b.timing.medianMs);
    finite(b.ratio);
    expect(tf.memory().numTensors).toBe(withModel);

    const inputs = toInputs(syntheticBatch(model.config, 2, 8), model.config);
    const p = await profileKernels(async () => {
      const l = tf.tidy(() => bertForward(model, inputs));
      await l.data();
      l.dispose();
    });
    disposeInputs(inputs);
    expect(p.kernels.length).toBeGreaterThan(0);
    finite(p.totalKernelMs);
    expect(p.peakBytes).toBeGreaterThan(0);
    expect(p.kernels.some((k) => k.kernel === 'BatchMatMul[dense]')).toBe(true);
    // customGrad wrappers are kept apart, not counted twice
    expect(p.kernels.every((k) => tf.getKernel(k.kernel.replace(/\[.*\]$/, ''), tf.getBackend()) !== undefined)).toBe(true);
    expect(Math.abs(p.kernels.reduce((s, k) => s + k.share, 0) - 1)).toBeLessThan(1e-9);
    expect(tf.memory().numTensors).toBe(withModel);

    disposeModel(model);
    expect(tf.memory().numTensors).toBe(base);
  });
});

describe('bench plumbing', () => {
  test('a model loaded on cpu still runs after switching to wasm (tfjs moves the data), same logits', async () => {
    await selectBackend('cpu');
    const onCpu = await loadModel(modelDir);
    await selectBackend('wasm');
    const onWasm = await loadModel(modelDir);
    const inputs = toInputs(syntheticBatch(onWasm.config, 2, 8), onWasm.config);
    const a = tf.tidy(() => bertForward(onCpu, inputs));
    const b = tf.tidy(() => bertForward(onWasm, inputs));
    expect(maxAbsDiff(await a.data(), await b.data())).toBeLessThan(1e-5);
    tf.dispose([a, b]);
    disposeInputs(inputs);
    disposeModel(onCpu);
    disposeModel(onWasm);
  });

  test('runBench --quick: finite table, nothing leaked', async () => {
    const o = await parseBenchArgs(['--quick', '--runs', '1', '--no-profile']);
    const report = await runBench({ ...o, modelDir: join(root, 'quick-model') });
    expect(report.backends.map((b) => b.requested)).toEqual(['wasm', 'cpu']);
    for (const b of report.backends) {
      expect(b.active.backend).toBe(b.requested);
      finite(b.forward.pairsPerSec);
      finite(b.backward.timing.medianMs);
      finite(b.dl19?.pairsPerSec ?? Number.NaN);
      expect(b.memory.tensorsLeaked).toBe(0);
      expect(b.memory.rssPeakBytes).toBeGreaterThanOrEqual(b.memory.rssStartBytes);
    }
    const table = markdownTable(report);
    expect(table).toContain('| forward pairs/s |');
    expect(table).not.toMatch(/NaN|undefined/);
  });

  test('flags: sizes apply to every backend; quick; bad values are errors', async () => {
    const d = await parseBenchArgs([]);
    expect(d.sizes).toEqual(BENCH_DEFAULTS.sizes);
    expect(d.backends).toEqual(['wasm', 'cpu']);
    const o = await parseBenchArgs(['--backends', 'cpu', '--runs', '3', '--pairs', '0']);
    expect(o.backends).toEqual(['cpu']);
    expect(o.sizes.wasm.runs).toBe(3);
    expect(o.sizes.cpu.runs).toBe(3);
    expect(o.sizes.cpu.pairs).toBe(0);
    expect(o.sizes.cpu.batch).toBe(BENCH_DEFAULTS.sizes.cpu.batch);
    const q = await parseBenchArgs(['--quick']);
    expect(q.preset).toBe('tiny');
    expect(q.out).toBe(QUICK.out);
    await expect(parseBenchArgs(['--backends', 'webgl'])).rejects.toThrow(/not wasm, cpu, tensorflow or tensorflow-gpu/);
    // tfjs-node cannot install here: asking for it says what is missing; found, it is benchmarked.
    await expect(parseBenchArgs(['--backends', 'wasm,tensorflow'])).rejects.toThrow(/'tensorflow' needs @tensorflow\/tfjs-node, which is not installed/);
    expect(installedNativeBackends()).toEqual([]);
    expect(installedNativeBackends((pkg) => (pkg === '@tensorflow/tfjs-node' ? '/x/index.js' : (() => { throw new Error('missing'); })()))).toEqual(['tensorflow']);
    await expect(parseBenchArgs(['--runs', '0'])).rejects.toThrow(/--runs/);
  });

  test('stats, FLOP counting and the RSS monitor', async () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    let n = 0;
    const t = await timeRuns(async () => void n++, 3, 2);
    expect(n).toBe(5);
    expect(t.samplesMs).toHaveLength(3);
    finite(t.cpuShare ?? Number.NaN);
    expect(matmulFlops([2, 3], [2, 5])).toBe(60); // [2,3]·[3,5]
    expect(matmulFlops([3, 2], [2, 5])).toBe(60); // transposeA
    expect(matmulFlops([4, 2, 3], [4, 2, 5])).toBe(240);
    const m = await RssMonitor.start(1);
    const big = new Float64Array(4_000_000).fill(1); // 32 MB touched
    await new Promise((r) => setTimeout(r, 20));
    expect(m.peak()).toBeGreaterThan(big.length * 8);
    m.reset();
    expect(m.peak()).toBeGreaterThan(0);
    await m.stop();
    const hwm = highWaterMark();
    if (hwm !== undefined) expect(hwm).toBeGreaterThan(0);
  });
});
