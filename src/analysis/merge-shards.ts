/**
 * `celens merge`: shard journals (`attribute --shard i/N`) → the file an unsharded run writes,
 * byte for byte. A shard computes the groups k of the global plan with k % N === i, with the same
 * padding as the unsharded run (attribute.ts), so its records are the unsharded run's records;
 * merging only checks that every shard is there and whole, then copies the lines in plan order.
 * Records are copied as the bytes JournalWriter wrote, never re-serialized. Shards are only read:
 * a torn last line (a shard killed mid-write) is left in its file and makes that shard incomplete.
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { planGroups } from '../attribution/plan.js';
import { fromRecord, writeAttributionSafetensors } from '../jobs/records.js';
import type { JournalHeader, PairRecord } from '../jobs/records.js';
import type { PairAttribution } from '../attribution/summary.js';
import { CelensError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import { parseJson } from '../formats/json.js';
import { openAttribution } from './read-records.js';

export interface MergeShardsParams {
  /** Shard journals, any order. */
  shards: readonly string[];
  /** OUT.jsonl (the unsharded journal) or OUT.safetensors (as `attribute --out OUT.safetensors`). */
  out: string;
}

export interface MergeResult {
  header: JournalHeader;
  shards: number;
  pairs: number;
  warnings: string[];
}

interface Located {
  file: string;
  offset: number;
  bytes: number;
}

interface ShardFile {
  file: string;
  header: JournalHeader;
  index: number;
  count: number;
  /** Input indices in file order. */
  indices: number[];
  /** Line number of a torn last line (left out), if the shard has one. */
  torn?: number;
}

const SHARD_RE = /^(0|[1-9]\d*)\/([1-9]\d*)$/;

/** The header an unsharded run writes: the shard's, less `options.shard` (key order kept). */
function unshardedHeader(h: JournalHeader): JournalHeader {
  const options = Object.fromEntries(Object.entries(h.options).filter(([k]) => k !== 'shard'));
  return { ...h, options };
}

export async function mergeShards(p: MergeShardsParams): Promise<MergeResult> {
  if (!p.out.endsWith('.jsonl') && !p.out.endsWith('.safetensors')) throw new CelensError('merge writes OUT.jsonl or OUT.safetensors', { file: p.out });
  if (p.shards.length === 0) throw new CelensError('no shard files to merge');
  if (p.shards.includes(p.out)) throw new CelensError('the output is one of the shards; choose another OUT', { file: p.out });
  const where = new Map<number, Located>();
  const lengths = new Map<number, number>();
  const shards: ShardFile[] = [];
  // Headers first: a wrong set of files is named as such before any record is read.
  for (const file of p.shards) shards.push(await readShardHeader(file));
  const warnings = checkShards(shards);
  for (const s of shards) await scanShard(s, where, lengths);
  const first = shards[0] as ShardFile;
  const header = unshardedHeader(first.header);
  checkComplete(shards, header, lengths);
  // Every index 0…count−1 is present exactly once: the global plan can be rebuilt from the lengths.
  const groups = planGroups(Array.from({ length: header.count }, (_v, i) => lengths.get(i) as number), pairsPerBatch(header, first.file));
  groups.forEach((g, k) => {
    const owner = shards.find((s) => s.index === k % first.count) as ShardFile;
    for (const i of g) {
      const at = (where.get(i) as Located).file;
      if (at !== owner.file) throw new CelensError(`pair ${i} is in group ${k}, which shard ${owner.index}/${owner.count} (${owner.file}) computes, but this file holds it: were the shards run on the same inputs?`, { file: at });
    }
  });
  const order = groups.flat();
  if (p.out.endsWith('.jsonl')) await writeJournalCopy(p.out, header, order, where);
  else await writeSafetensorsCopy(p.out, header, where);
  return { header, shards: shards.length, pairs: header.count, warnings };
}

async function readShardHeader(file: string): Promise<ShardFile> {
  const { header, records } = await openAttribution(file);
  await records.return(undefined);
  const tag = header.options.shard;
  const m = typeof tag === 'string' ? SHARD_RE.exec(tag) : null;
  if (!m) throw new CelensError(`not a shard (its header has no options.shard "i/N"${tag === undefined ? '; an unsharded run needs no merge' : `, found ${JSON.stringify(tag)}`})`, { file });
  const shard: ShardFile = { file, header, index: Number(m[1]), count: Number(m[2]), indices: [] };
  if (shard.index >= shard.count) throw new CelensError(`shard "${String(tag)}" is not i/N with i < N`, { file });
  return shard;
}

/** Where each record of a shard lies, and its length (for the plan); overlaps are errors. */
async function scanShard(shard: ShardFile, where: Map<number, Located>, lengths: Map<number, number>): Promise<void> {
  const { file } = shard;
  // checkRecord has bounded each index by the header's count.
  const { records } = await openAttribution(file, { onTorn: (t) => (shard.torn = t.line) });
  for await (const { record, line, offset, bytes } of records) {
    const i = record.index;
    const seen = where.get(i);
    if (seen) throw new CelensError(`pair ${i} is also in ${seen.file}${seen.file === file ? ' (twice in this file)' : ''}: shards overlap`, { file, line });
    where.set(i, { file, offset, bytes });
    lengths.set(i, record.length);
    shard.indices.push(i);
  }
}

/** Same run (headers equal but for the shard tag and the model path), same N, each i once. */
function checkShards(shards: readonly ShardFile[]): string[] {
  const first = shards[0] as ShardFile;
  const key = (h: JournalHeader): string => JSON.stringify({ ...unshardedHeader(h), model: undefined });
  const warnings: string[] = [];
  for (const s of shards) {
    if (s.count !== first.count) throw new CelensError(`shard ${s.index}/${s.count} does not split into ${first.count} like ${first.file} (${first.index}/${first.count})`, { file: s.file });
    if (key(s.header) !== key(first.header)) {
      throw new CelensError(`header differs from ${first.file}'s beyond the shard tag: not shards of one run (${JSON.stringify(unshardedHeader(s.header).options)} vs ${JSON.stringify(unshardedHeader(first.header).options)}, count ${s.header.count} vs ${first.header.count})`, { file: s.file });
    }
    // Array jobs often load the model from node-local copies: the path may differ, the numbers may not.
    if (s.header.model !== first.header.model) warnings.push(`${s.file}: model '${s.header.model}' differs from '${first.header.model}' (${first.file}); the merged header keeps the latter`);
  }
  const byIndex = new Map<number, ShardFile>();
  for (const s of shards) {
    const dup = byIndex.get(s.index);
    if (dup) throw new CelensError(`shard ${s.index}/${s.count} is given twice (also ${dup.file})`, { file: s.file });
    byIndex.set(s.index, s);
  }
  const missing = Array.from({ length: first.count }, (_v, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new CelensError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${first.count}`).join(', ')} (have ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${first.count}`).join(', ')})`);
  return warnings;
}

/**
 * Each shard holds every pair of its groups. Group sizes follow from count and pairsPerBatch alone
 * (all full but the last), so an unfinished shard is found before the plan needs every length.
 */
function checkComplete(shards: readonly ShardFile[], header: JournalHeader, lengths: Map<number, number>): void {
  const first = shards[0] as ShardFile;
  const ppb = pairsPerBatch(header, first.file);
  const nGroups = Math.ceil(header.count / ppb);
  for (const s of shards) {
    let expected = 0;
    for (let k = s.index; k < nGroups; k += s.count) expected += k === nGroups - 1 ? header.count - k * ppb : ppb;
    if (s.indices.length < expected) {
      const torn = s.torn === undefined ? '' : ` (line ${s.torn} is torn: the run was stopped mid-line or is still running)`;
      throw new CelensError(`incomplete shard ${s.index}/${s.count}: it holds ${s.indices.length} of its ${expected} pairs${torn}; rerun its attribute command (same --shard) to finish it`, { file: s.file });
    }
    if (s.indices.length > expected) throw new CelensError(`shard ${s.index}/${s.count} holds ${s.indices.length} pairs but its groups have ${expected}: not made with this plan`, { file: s.file });
  }
  if (lengths.size !== header.count) throw new CelensError(`the shards hold ${lengths.size} of ${header.count} pairs`, { file: first.file });
}

function pairsPerBatch(h: JournalHeader, file: string): number {
  const v = h.options.pairsPerBatch;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new CelensError('header has no options.pairsPerBatch: cannot rebuild the plan', { file });
  return v;
}

/** Copies record lines in plan order behind the unsharded header, atomically (no half-merged OUT). */
async function writeJournalCopy(out: string, header: JournalHeader, order: readonly number[], where: Map<number, Located>): Promise<void> {
  const handles = new Map<string, FileHandle>();
  try {
    await writeFileAtomic(out, async (fh) => {
      await fh.write(`${JSON.stringify(header)}\n`);
      for (const i of order) {
        const at = where.get(i) as Located;
        await fh.write(Buffer.concat([await readAt(at, handles), Buffer.from('\n')]));
      }
    });
  } finally {
    for (const h of handles.values()) await h.close();
  }
}

/** The same safetensors `attribute --out OUT.safetensors` assembles (input order, same metadata). */
async function writeSafetensorsCopy(out: string, header: JournalHeader, where: Map<number, Located>): Promise<void> {
  const handles = new Map<string, FileHandle>();
  const results: PairAttribution[] = [];
  try {
    for (let i = 0; i < header.count; i++) {
      const at = where.get(i) as Located;
      // Bytes checked by scanShard; readAt refuses a file that has changed length since.
      results.push(fromRecord(parseJson((await readAt(at, handles)).toString('utf8'), at.file) as PairRecord));
    }
  } finally {
    for (const h of handles.values()) await h.close();
  }
  const prefix = header.options.method === 'layer-ig' ? 'lig' : 'nig';
  await writeAttributionSafetensors(out, prefix, results, { format: 'pt', producer: 'celens attribute', header: JSON.stringify(header) });
}

async function readAt(at: Located, handles: Map<string, FileHandle>): Promise<Buffer> {
  let h = handles.get(at.file);
  if (!h) {
    h = await open(at.file, 'r');
    handles.set(at.file, h);
  }
  const buf = Buffer.alloc(at.bytes);
  const { bytesRead } = await h.read(buf, 0, at.bytes, at.offset);
  if (bytesRead !== at.bytes) throw new CelensError('changed while merging (shorter than when read)', { file: at.file });
  return buf;
}
