/**
 * Attribution results on disk. JSONL: a header line (method, options, model, pair count), then one
 * record per pair, appended as each finishes — a killed run loses at most the line being written,
 * and a rerun resumes after the last complete line. Numbers are float32 values written in their
 * shortest round-trip form, so a resumed file holds exactly the bits an uninterrupted one would.
 * Safetensors output is assembled from the same journal when the run completes.
 */
import { open, readFile, rename, truncate, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CelensError } from '../errors.js';
import type { SiteName } from '../model/sites.js';
import { writeSafetensors } from '../weights/safetensors-write.js';
import type { TensorToWrite } from '../weights/safetensors-write.js';
import type { Segments } from './baselines.js';
import type { PairAttribution } from './summary.js';

export interface JournalHeader {
  celens: 'attribute';
  version: 1;
  method: string;
  model: string;
  count: number;
  /** Everything that changes the numbers; a resume must match it exactly. */
  options: Record<string, unknown>;
}

/** Where a pair came from, when it was sampled from a collection (`attribute --collection`). */
export interface PairSource {
  dataset: string;
  qid: string;
  docid: string;
  /** Judged relevance grade; null for an unjudged first-stage candidate. */
  grade: number | null;
  /** grade ≥ the run's relevance level. */
  relevant: boolean;
}

export interface PairRecord {
  index: number;
  id?: string;
  source?: PairSource;
  length: number;
  segments: Segments;
  target: { input: number; baseline: number };
  /** Per layer; null where not computed. */
  completeness: Array<number | null>;
  sum: Record<string, number[]>;
  segments_sum: Record<string, number[][]>;
  per_token?: Record<string, number[][]>;
}

const f32 = (a: ArrayLike<number>): number[] => Array.from(a, (v) => Math.fround(v));

export function toRecord(index: number, r: PairAttribution, id?: string, source?: PairSource): PairRecord {
  const rows = (a: Float32Array, W: number): number[][] => Array.from({ length: a.length / W }, (_v, i) => f32(a.subarray(i * W, (i + 1) * W)));
  const sum: Record<string, number[]> = {};
  const segs: Record<string, number[][]> = {};
  for (const [s, v] of r.sum) {
    sum[s] = f32(v);
    segs[s] = rows(r.bySegment.get(s) as Float32Array, v.length);
  }
  const rec: PairRecord = {
    index,
    ...(id !== undefined && { id }),
    ...(source !== undefined && { source }),
    length: r.segments.length,
    segments: r.segments,
    target: { input: Math.fround(r.targetInput), baseline: Math.fround(r.targetBaseline) },
    completeness: Array.from(r.completeness, (v) => (Number.isNaN(v) ? null : Math.fround(v))),
    sum,
    segments_sum: segs,
  };
  if (r.perToken) {
    rec.per_token = {};
    for (const [s, v] of r.perToken) rec.per_token[s] = rows(v, (r.sum.get(s) as Float32Array).length);
  }
  return rec;
}

export function fromRecord(rec: PairRecord): PairAttribution {
  const flat = (rows: number[][]): Float32Array => Float32Array.from(rows.flat());
  const sum = new Map<SiteName, Float32Array>();
  const bySegment = new Map<SiteName, Float32Array>();
  for (const [s, v] of Object.entries(rec.sum)) {
    sum.set(s as SiteName, Float32Array.from(v));
    bySegment.set(s as SiteName, flat(rec.segments_sum[s] ?? []));
  }
  const out: PairAttribution = {
    segments: rec.segments,
    sum,
    bySegment,
    targetInput: rec.target.input,
    targetBaseline: rec.target.baseline,
    completeness: Float64Array.from(rec.completeness, (v) => (v === null ? NaN : v)),
  };
  if (rec.per_token) out.perToken = new Map(Object.entries(rec.per_token).map(([s, v]) => [s as SiteName, flat(v)]));
  return out;
}

/** Reads a journal; a torn last line (a kill mid-write) is cut off the file. */
export async function readJournal(file: string): Promise<{ header: JournalHeader; records: Map<number, PairRecord> } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CelensError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) await truncate(file, Buffer.byteLength(text.slice(0, complete)));
  const lines = text.slice(0, complete).split('\n').filter((l) => l !== '');
  if (lines.length === 0) return undefined;
  const parse = (l: string, n: number): unknown => {
    try {
      return JSON.parse(l);
    } catch {
      throw new CelensError('not a celens attribution journal line (delete the file to start over)', { file, line: n });
    }
  };
  const header = parse(lines[0] as string, 1) as JournalHeader;
  if (header.celens !== 'attribute') throw new CelensError('not a celens attribution file (delete it or choose another --out)', { file, line: 1 });
  const records = new Map<number, PairRecord>();
  lines.slice(1).forEach((l, i) => {
    const r = parse(l, i + 2) as PairRecord;
    records.set(r.index, r);
  });
  return { header, records };
}

/** Appends records line by line; each line is one write, flushed to the OS before the next. */
export class JournalWriter {
  private constructor(private readonly fh: FileHandle) {}

  /** Opens for appending; writes the header when the file is new (or empty). */
  static async open(file: string, header: JournalHeader | undefined): Promise<JournalWriter> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'a');
    } catch (e) {
      throw new CelensError(`cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
    }
    const w = new JournalWriter(fh);
    if (header) await w.line(header);
    return w;
  }

  async line(obj: unknown): Promise<void> {
    await this.fh.write(`${JSON.stringify(obj)}\n`);
  }

  async close(): Promise<void> {
    await this.fh.sync().catch(() => undefined);
    await this.fh.close();
  }
}

/** Checks that a journal found at the output path was made by the same run settings. */
export function checkResumable(file: string, found: JournalHeader, wanted: JournalHeader): void {
  const a = JSON.stringify({ ...found, model: undefined });
  const b = JSON.stringify({ ...wanted, model: undefined });
  if (a !== b) {
    throw new CelensError(`an unfinished run with other settings is here; delete it or choose another --out (found ${JSON.stringify(found.options)}, count ${found.count})`, { file });
  }
}

/**
 * Safetensors output: `<p>.layer.{l}.{site}.sum` [B,W], `.segments` [B,5,W], per-token `<p>.layer.{l}.{site}`
 * [B,T,W] (T = longest pair, zero-padded) when present, `target.input`/`target.baseline` [B],
 * `completeness.layer.{l}` [B], `lengths` [B]. `<p>` is `nig` or `lig` (layer IG).
 */
export async function writeAttributionSafetensors(file: string, prefix: 'nig' | 'lig', results: readonly PairAttribution[], metadata: Record<string, string>): Promise<void> {
  const B = results.length;
  const first = results[0];
  if (!first) throw new CelensError('no results to write', { file });
  const tensors = new Map<string, TensorToWrite>();
  const T = Math.max(...results.map((r) => r.segments.length));
  for (const [site, v] of first.sum) {
    const W = v.length;
    const sum = new Float32Array(B * W);
    const seg = new Float32Array(B * 5 * W);
    results.forEach((r, b) => {
      sum.set(r.sum.get(site) as Float32Array, b * W);
      seg.set(r.bySegment.get(site) as Float32Array, b * 5 * W);
    });
    tensors.set(`${prefix}.${site}.sum`, { dtype: 'F32', shape: [B, W], data: sum });
    tensors.set(`${prefix}.${site}.segments`, { dtype: 'F32', shape: [B, 5, W], data: seg });
    if (first.perToken) {
      const tok = new Float32Array(B * T * W);
      results.forEach((r, b) => tok.set(r.perToken?.get(site) as Float32Array, b * T * W));
      tensors.set(`${prefix}.${site}`, { dtype: 'F32', shape: [B, T, W], data: tok });
    }
  }
  tensors.set('target.input', { dtype: 'F32', shape: [B], data: results.map((r) => r.targetInput) });
  tensors.set('target.baseline', { dtype: 'F32', shape: [B], data: results.map((r) => r.targetBaseline) });
  tensors.set('lengths', { dtype: 'I32', shape: [B], data: results.map((r) => r.segments.length) });
  first.completeness.forEach((v, l) => {
    if (!Number.isNaN(v)) tensors.set(`completeness.layer.${l}`, { dtype: 'F32', shape: [B], data: results.map((r) => r.completeness[l] as number) });
  });
  await writeSafetensors(file, tensors, metadata);
}

export async function removeFile(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

export { rename };
