/**
 * Attribution results on disk. JSONL: a header line (method, options, model, pair count), then one
 * record per pair, appended as each finishes — a killed run loses at most the line being written,
 * and a rerun resumes after the last complete line. Numbers are float32 values written in their
 * shortest round-trip form, so a resumed file holds exactly the bits an uninterrupted one would.
 * Safetensors output is assembled from the same journal when the run completes.
 */
import { unlink } from 'node:fs/promises';
import { CelensError } from '../errors.js';
import { resumeJournal } from '../formats/journal.js';
import type { JournalLine } from '../formats/journal.js';
import { isJsonObject as isObject, parseJson } from '../formats/json.js';
import type { SiteName } from '../model/sites.js';
import { writeSafetensors } from '../weights/safetensors-write.js';
import type { TensorToWrite } from '../weights/safetensors-write.js';
import type { Segments } from '../attribution/baselines.js';
import type { PairAttribution } from '../attribution/summary.js';

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
  /** Per layer: completeness / |F(x) − F(x′)|; null where not computed or F did not change. Absent from older journals. */
  completeness_relative?: Array<number | null>;
  sum: Record<string, number[]>;
  segments_sum: Record<string, number[][]>;
  per_token?: Record<string, number[][]>;
}

const f32 = (a: ArrayLike<number>): number[] => Array.from(a, (v) => Math.fround(v));
const nullable = (a: Float64Array): Array<number | null> => Array.from(a, (v) => (Number.isNaN(v) ? null : Math.fround(v)));
const fromNullable = (a: ReadonlyArray<number | null>): Float64Array => Float64Array.from(a, (v) => (v === null ? NaN : v));

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
    completeness: nullable(r.completeness),
    completeness_relative: nullable(r.completenessRelative),
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
    completeness: fromNullable(rec.completeness),
    // A journal from before the relative error was recorded: unknown (NaN), not recomputed, since
    // layer IG's F(x′) differs by layer and the record keeps only the first layer's.
    completenessRelative: rec.completeness_relative ? fromNullable(rec.completeness_relative) : new Float64Array(rec.completeness.length).fill(NaN),
  };
  if (rec.per_token) out.perToken = new Map(Object.entries(rec.per_token).map(([s, v]) => [s as SiteName, flat(v)]));
  return out;
}

/** What a resume says about a bad journal: it can start over. */
const RESUME_HINT = 'delete the file to start over';

/** Reads a journal to resume it; a torn last line (a kill mid-write) is cut off the file. */
export async function readJournal(file: string): Promise<{ header: JournalHeader; records: Map<number, PairRecord> } | undefined> {
  const lines = await resumeJournal(file);
  if (lines === undefined) return undefined;
  const [first, ...rest] = lines as [JournalLine, ...JournalLine[]];
  const header = checkHeader(parseJson(first.text, file, { line: first.line, hint: RESUME_HINT }), file, first.line, 'delete it or choose another --out');
  const records = new Map<number, PairRecord>();
  for (const l of rest) {
    const r = checkRecord(parseJson(l.text, file, { line: l.line, hint: RESUME_HINT }), header.count, file, l.line, RESUME_HINT);
    records.set(r.index, r);
  }
  return { header, records };
}

/** A journal's first line: `{"celens":"attribute", "count": N, "options": {…}, …}`; `advice` ends the message. */
export function checkHeader(v: unknown, file: string, line: number, advice: string): JournalHeader {
  if (!isObject(v) || v.celens !== 'attribute' || !Number.isSafeInteger(v.count) || (v.count as number) < 0 || !isObject(v.options)) {
    throw new CelensError(`not a celens attribution file (${advice})`, { file, line });
  }
  return v as unknown as JournalHeader;
}

/**
 * A journal line must have the shape toRecord writes before a resume, an analysis or a merge uses
 * it: a hand-edited or crafted line is refused here, naming its line, rather than failing somewhere
 * inside the job. `hint` (what to do about it) ends the message.
 */
export function checkRecord(v: unknown, count: number, file: string, line: number, hint?: string): PairRecord {
  const bad = (what: string): never => {
    throw new CelensError(`not a celens attribution record: ${what}${hint === undefined ? '' : ` (${hint})`}`, { file, line });
  };
  const numbers = (a: unknown, n: number): boolean => Array.isArray(a) && a.length === n && a.every((x) => typeof x === 'number');
  const rows = (a: unknown, n: number, w: number): boolean => Array.isArray(a) && a.length === n && a.every((row) => numbers(row, w));
  const int = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!isObject(v)) return bad('not an object');
  if (!int(v.index) || v.index >= count) bad(`index ${JSON.stringify(v.index)} is not in 0…${count - 1}`);
  const s = v.segments;
  const range = (x: unknown): boolean => Array.isArray(x) && x.length === 2 && x.every(int);
  if (!int(v.length) || !isObject(s) || s.length !== v.length || ![s.cls, s.sep1, s.sep2].every(int) || !range(s.query) || !range(s.passage)) bad('bad length or segments');
  if (!isObject(v.target) || typeof v.target.input !== 'number' || typeof v.target.baseline !== 'number') bad('bad target');
  const perLayer = (a: unknown): boolean => Array.isArray(a) && a.every((x) => x === null || typeof x === 'number');
  if (!perLayer(v.completeness)) bad('bad completeness');
  const rel = v.completeness_relative;
  if (rel !== undefined && (!perLayer(rel) || (rel as unknown[]).length !== (v.completeness as unknown[]).length)) bad('bad completeness_relative');
  if (!isObject(v.sum) || !isObject(v.segments_sum) || (v.per_token !== undefined && !isObject(v.per_token))) bad('bad sum, segments_sum or per_token');
  const sum = v.sum as Record<string, unknown>;
  for (const [site, a] of Object.entries(sum)) {
    const W = Array.isArray(a) ? a.length : -1;
    if (!numbers(a, W)) bad(`sum of ${site} is not a list of numbers`);
    if (!rows((v.segments_sum as Record<string, unknown>)[site], 5, W)) bad(`segments_sum of ${site} is not 5 rows of ${W}`);
    if (v.per_token !== undefined && !rows((v.per_token as Record<string, unknown>)[site], v.length as number, W)) bad(`per_token of ${site} is not ${String(v.length)} rows of ${W}`);
  }
  const same = (o: unknown): boolean => Object.keys(o as object).length === Object.keys(sum).length;
  if (!same(v.segments_sum) || (v.per_token !== undefined && !same(v.per_token))) bad('sum, segments_sum and per_token name different sites');
  return v as unknown as PairRecord;
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
 * `completeness.layer.{l}` and `completeness_relative.layer.{l}` [B], `lengths` [B]. `<p>` is `nig` or `lig` (layer IG).
 */
export async function writeAttributionSafetensors(file: string, prefix: 'nig' | 'lig', results: readonly PairAttribution[], metadata: Record<string, string>): Promise<void> {
  const B = results.length;
  const first = results[0];
  if (!first) throw new CelensError('no results to write', { file });
  const tensors = new Map<string, TensorToWrite>();
  const T = Math.max(...results.map((r) => r.segments.length));
  for (const [site, v] of first.sum) {
    const W = v.length;
    // Results resumed from a journal must fit the ones computed now (same sites and widths).
    results.forEach((r, b) => {
      if (r.sum.get(site)?.length !== W || r.bySegment.get(site)?.length !== 5 * W || (first.perToken !== undefined && r.perToken?.get(site)?.length !== r.segments.length * W)) {
        throw new CelensError(`result ${b} does not have the ${site} attributions of the others (a journal from another run?)`, { file });
      }
    });
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
    if (Number.isNaN(v)) return;
    tensors.set(`completeness.layer.${l}`, { dtype: 'F32', shape: [B], data: results.map((r) => r.completeness[l] as number) });
    tensors.set(`completeness_relative.layer.${l}`, { dtype: 'F32', shape: [B], data: results.map((r) => r.completenessRelative[l] as number) });
  });
  await writeSafetensors(file, tensors, metadata);
}

export async function removeFile(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}
