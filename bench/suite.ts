/** One backend's measurements, in order: load, forward, DL19, forward+backward, profile, memory. */
import { loadavg } from 'node:os';
import * as tf from '../src/backend/tf.js';
import { selectBackend } from '../src/backend/select.js';
import type { BackendName } from '../src/backend/select.js';
import { disposeModel, loadModel } from '../src/model/load.js';
import { bertForward } from '../src/model/bert.js';
import { disposeInputs, toInputs } from '../src/model/inputs.js';
import { layerSite } from '../src/model/sites.js';
import { disposeRun, runModel } from '../src/hooks/run.js';
import { benchBackward } from './backward.js';
import type { BackwardResult } from './backward.js';
import { benchDl19 } from './dl19.js';
import type { Dl19Result, Encoded } from './dl19.js';
import { backendInfo } from './env.js';
import { benchForward, syntheticBatch } from './forward.js';
import type { ForwardResult } from './forward.js';
import { profileKernels } from './profile.js';
import type { ProfileResult } from './profile.js';
import { highWaterMark, resetHighWaterMark } from './rss.js';
import type { RssMonitor } from './rss.js';

/** The sizes one backend is measured at (cpu gets smaller defaults: it is ~30× slower). */
export interface Sizes {
  /** Synthetic forward batch × sequence length. */
  batch: number;
  seq: number;
  /** Forward+backward batch × sequence length. */
  gradBatch: number;
  gradSeq: number;
  /** DL19 pairs (the first N of the subset) and their batch size; 0 pairs skips DL19. */
  pairs: number;
  dl19Batch: number;
  /** Padded tokens per DL19 forward at most (bigger batches are halved); 0 = no limit. */
  dl19MaxTokens: number;
  runs: number;
  warmup: number;
}

export interface SuiteOptions {
  modelDir: string;
  sizes: Sizes;
  /** Encoded DL19 pairs (at least sizes.pairs of them), or undefined to skip that measurement. */
  dl19?: Pick<Encoded, 'encs' | 'padId'>;
  profile: boolean;
  /** Progress lines (one per measurement). */
  log?: (line: string) => void;
}

export interface BackendReport {
  requested: BackendName;
  /** tf.getBackend() after switching, and the backend's speed-relevant settings. */
  active: Record<string, string | number | boolean>;
  sizes: Sizes;
  /** os.loadavg()[0] when the phase started and ended (other processes on the machine). */
  loadAvg: { start: number; end: number };
  wallS: number;
  loadMs: number;
  /** tf.memory().numBytes right after loading (the weights, linear ones kept as [in,out] and [out,in]). */
  weightBytes: number;
  forward: ForwardResult;
  dl19?: Dl19Result;
  backward: BackwardResult;
  profile?: { forward: ProfileResult; backward: ProfileResult };
  memory: {
    rssStartBytes: number;
    rssPeakBytes: number;
    /** Kernel VmHWM for this phase (Linux, when clear_refs could reset it). */
    vmHwmBytes?: number;
    /** Largest tf.profile peakBytes (live tensor bytes, weights included). */
    tfPeakBytes?: number;
    /** tf.memory().numTensors after the phase minus before it (0 = nothing leaked). */
    tensorsLeaked: number;
  };
}

export async function benchBackend(backend: BackendName, o: SuiteOptions, monitor?: RssMonitor): Promise<BackendReport> {
  const s = o.sizes;
  const wall0 = performance.now();
  const load0 = loadavg()[0] ?? 0;
  await selectBackend(backend);
  const active = await backendInfo();
  if (active.backend !== backend) throw new Error(`asked for backend ${backend}, tfjs runs ${String(active.backend)}`);
  const tensorsBefore = tf.memory().numTensors;
  monitor?.reset();
  const hwmReset = resetHighWaterMark();
  const rssStartBytes = process.memoryUsage.rss();
  const t0 = performance.now();
  const model = await loadModel(o.modelDir);
  const loadMs = performance.now() - t0;
  const weightBytes = tf.memory().numBytes;
  let report: BackendReport;
  try {
    const log = (what: string): void => o.log?.(`${backend}: ${what} (${((performance.now() - wall0) / 1000).toFixed(0)} s)`);
    log(`model loaded in ${loadMs.toFixed(0)} ms`);
    const forward = await benchForward(model, { batch: s.batch, seq: s.seq, runs: s.runs, warmup: s.warmup });
    log(`forward ${s.batch}×${s.seq}: ${forward.pairsPerSec.toFixed(2)} pairs/s`);
    const dl19 =
      o.dl19 && s.pairs > 0
        ? await benchDl19(model, { encs: o.dl19.encs.slice(0, s.pairs), padId: o.dl19.padId }, { batch: s.dl19Batch, maxTokens: s.dl19MaxTokens, warmup: Math.min(s.warmup, 1) })
        : undefined;
    if (dl19) log(`DL19 ${dl19.pairs} pairs: ${dl19.pairsPerSec.toFixed(2)} pairs/s`);
    const backward = await benchBackward(model, { batch: s.gradBatch, seq: s.gradSeq, runs: s.runs, warmup: s.warmup });
    log(`fwd+bwd ${s.gradBatch}×${s.gradSeq}: ${backward.timing.medianMs.toFixed(0)} ms`);
    let profile: BackendReport['profile'];
    if (o.profile) {
      const fwdIn = toInputs(syntheticBatch(model.config, s.batch, s.seq), model.config);
      const gradIn = toInputs(syntheticBatch(model.config, s.gradBatch, s.gradSeq, 1), model.config);
      const sites = Array.from({ length: model.config.numLayers }, (_v, l) => layerSite(l, 'ffn.pre'));
      try {
        const fwd = await profileKernels(async () => {
          const l = tf.tidy(() => bertForward(model, fwdIn));
          await l.data();
          l.dispose();
        });
        const bwd = await profileKernels(async () => {
          const r = runModel(model, gradIn, { grad: sites });
          await Promise.all([...r.grads.values()].map((g) => g.data()));
          disposeRun(r);
        });
        profile = { forward: fwd, backward: bwd };
        log('profiled');
      } finally {
        disposeInputs(fwdIn);
        disposeInputs(gradIn);
      }
    }
    const hwm = hwmReset ? highWaterMark() : undefined;
    report = {
      requested: backend,
      active,
      sizes: s,
      loadAvg: { start: load0, end: loadavg()[0] ?? 0 },
      wallS: 0,
      loadMs,
      weightBytes,
      forward,
      ...(dl19 && { dl19 }),
      backward,
      ...(profile && { profile }),
      memory: {
        rssStartBytes,
        rssPeakBytes: monitor?.peak() ?? process.memoryUsage.rss(),
        ...(hwm !== undefined && { vmHwmBytes: hwm }),
        ...(profile && { tfPeakBytes: Math.max(profile.forward.peakBytes, profile.backward.peakBytes) }),
        tensorsLeaked: 0,
      },
    };
  } finally {
    disposeModel(model);
  }
  report.memory.tensorsLeaked = tf.memory().numTensors - tensorsBefore;
  report.wallS = (performance.now() - wall0) / 1000;
  return report;
}
