/** The report as markdown: one column per backend (each cell names its sizes), then where the time goes. */
import type { Environment } from './env.js';
import type { BackendReport } from './suite.js';
import type { Timing } from './stats.js';
import type { ProfileResult } from './profile.js';
import { mib } from './rss.js';

export interface BenchReport {
  env: Environment;
  model: { dir: string; preset: string; layers: number; hidden: number; heads: number; ffn: number; vocab: number };
  options: Record<string, unknown>;
  dl19?: { file: string; pairs: number; queries: number; tokenizer: string; tokenizeMs: number; skipped?: string };
  backends: BackendReport[];
}

const f1 = (x: number): string => x.toFixed(1);
const f2 = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const f0 = (x: number): string => x.toFixed(0);
const range = (t: Timing): string => `${f0(t.medianMs)} [${f0(t.minMs)}–${f0(t.maxMs)}]`;
const share = (t: { cpuShare?: number }): string => (t.cpuShare === undefined ? '' : `, cpu ${t.cpuShare.toFixed(2)}`);

export function markdownTable(r: BenchReport): string {
  const b = r.backends;
  const row = (label: string, cell: (x: BackendReport) => string): string => `| ${label} | ${b.map(cell).join(' | ')} |`;
  const m = r.model;
  const e = r.env;
  const lines: string[] = [
    `celens benchmark: ${m.preset} random weights (${m.layers} layers, hidden ${m.hidden}, ${m.heads} heads, ffn ${m.ffn}, vocab ${m.vocab})`,
    `node ${e.node}, tfjs ${e.tfjs}, tfjs-backend-wasm ${e.tfjsBackendWasm}, ${e.platform}, ${e.cpuCount}× ${e.cpuModel}, ${e.totalMemGiB.toFixed(0)} GiB, ${e.date}, model code ${e.modelCode}`,
    'Times: median [min–max] ms over the runs after warm-up. "cpu x" = process CPU time / wall time (≈1: the kernel thread had a core; lower: the machine was shared).',
    '',
    `| measurement | ${b.map((x) => x.requested).join(' | ')} |`,
    `|---|${b.map(() => '---:').join('|')}|`,
    row('active backend', (x) => Object.entries(x.active).map(([k, v]) => (k === 'backend' ? String(v) : `${k}=${String(v)}`)).join(' ')),
    row('runs (warm-up)', (x) => `${x.sizes.runs} (${x.sizes.warmup})`),
    row('forward B×T', (x) => `${x.forward.batch}×${x.forward.seq}`),
    row('forward pairs/s', (x) => f2(x.forward.pairsPerSec)),
    row('forward ms', (x) => `${range(x.forward.timing)}${share(x.forward.timing)}`),
  ];
  if (r.dl19 && !r.dl19.skipped) {
    lines.push(
      row('DL19 pairs (batch; batches split to ≤ N tokens)', (x) => (x.dl19 ? `${x.dl19.pairs} (${x.dl19.batchSize}; ${x.dl19.maxTokens > 0 ? `${x.dl19.splitBatches} split, N=${x.dl19.maxTokens}` : 'no limit'})` : '—')),
      row('DL19 pairs/s', (x) => (x.dl19 ? f2(x.dl19.pairsPerSec) : '—')),
      row('DL19 tokens/pair mean / max; padding', (x) => (x.dl19 ? `${f1(x.dl19.meanLen)} / ${x.dl19.maxLen}; +${(x.dl19.paddingOverhead * 100).toFixed(1)}%` : '—')),
      row('DL19 per-batch ms', (x) => (x.dl19 ? `${f0(x.dl19.batchMs.median)} [${f0(x.dl19.batchMs.min)}–${f0(x.dl19.batchMs.max)}]${share(x.dl19)}` : '—')),
    );
  }
  lines.push(
    row('fwd+bwd B×T (grad at every ffn.pre)', (x) => `${x.backward.batch}×${x.backward.seq} (${x.backward.sites.length} sites)`),
    row('fwd+bwd ms', (x) => `${range(x.backward.timing)}${share(x.backward.timing)}`),
    row('forward alone, same batch, ms; ratio', (x) => `${f0(x.backward.forwardTiming.medianMs)}; ×${x.backward.ratio.toFixed(2)}`),
    row('model load ms', (x) => f0(x.loadMs)),
    row('tf.memory after load MiB', (x) => f1(mib(x.weightBytes))),
    row('tf peak tensor MiB (profiled fwd / fwd+bwd)', (x) => (x.profile ? `${f0(mib(x.profile.forward.peakBytes))} / ${f0(mib(x.profile.backward.peakBytes))}` : '—')),
    row('RSS start → peak MiB (sampled 5 ms)', (x) => `${f0(mib(x.memory.rssStartBytes))} → ${f0(mib(x.memory.rssPeakBytes))}`),
    row('VmHWM of the phase MiB', (x) => (x.memory.vmHwmBytes === undefined ? '—' : f0(mib(x.memory.vmHwmBytes)))),
    row('tensors leaked', (x) => String(x.memory.tensorsLeaked)),
    row('load average start → end; phase s', (x) => `${x.loadAvg.start.toFixed(2)} → ${x.loadAvg.end.toFixed(2)}; ${f0(x.wallS)}`),
  );
  if (r.dl19 && !r.dl19.skipped) lines.push('', `DL19 subset: the first ${r.dl19.pairs} pairs (${r.dl19.queries} queries × BM25 top-100 in rank order), tokenized in ${f0(r.dl19.tokenizeMs)} ms with ${r.dl19.tokenizer}; each backend takes the first "DL19 pairs" of them.`);
  if (r.dl19?.skipped) lines.push('', `DL19 skipped: ${r.dl19.skipped}`);
  for (const x of b) {
    if (!x.profile) continue;
    lines.push('', profileLine(`${x.requested} forward ${x.forward.batch}×${x.forward.seq}`, x.profile.forward));
    lines.push('', profileLine(`${x.requested} fwd+bwd ${x.backward.batch}×${x.backward.seq}`, x.profile.backward));
  }
  return lines.join('\n');
}

function profileLine(title: string, p: ProfileResult): string {
  const top = p.kernels.slice(0, 8).map((k) => `${k.kernel} ${(k.share * 100).toFixed(0)}%${k.gflops !== undefined ? ` (${k.gflops.toFixed(1)} GFLOP/s)` : ''}`);
  return `${title} (tf.profile: ${f0(p.totalKernelMs)} ms in ${p.kernelCalls} kernels, wall ${f0(p.wallMs)} ms): ${top.join(', ')}`;
}
