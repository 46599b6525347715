/**
 * A resumable attribution job: pairs → records in a journal (OUT.jsonl itself, or
 * OUT.safetensors.partial.jsonl until the safetensors file is assembled). Rerunning the same
 * command after a kill or Ctrl-C continues where it stopped; numbers are identical to an
 * uninterrupted run because groups are planned from the inputs alone (see attribute.ts).
 */
import { access, constants, stat } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { CelensError } from '../errors.js';
import type { BertModel } from '../model/bert.js';
import { runnable } from '../model/load.js';
import type { OpenedModel } from '../model/load.js';
import { masksToJson } from '../model/masks.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import { attributeStream, ATTRIBUTE_DEFAULTS, pathDefaults } from '../attribution/attribute.js';
import type { AttributeOptions, AttributionRecord, StreamOptions } from '../attribution/attribute.js';
import { checkResumable, fromRecord, readJournal, removeFile, toRecord, writeAttributionSafetensors } from './records.js';
import { JournalWriter } from '../formats/journal.js';
import type { JournalHeader, PairSource } from './records.js';
import type { PairAttribution } from '../attribution/summary.js';

/** An attribution run: model, pairs (with ids and sources), options, and the output file it writes and resumes. */
export interface AttributeJob {
  /** The model, or a model opened without its weights (loaded here only if this thread computes). */
  model: BertModel | OpenedModel;
  pairs: readonly PairEncoding[];
  /** An id per pair written into records (e.g. the TSV line number). */
  ids?: readonly string[];
  /** Where each pair came from, when sampled from a collection. */
  sources?: readonly PairSource[];
  options: AttributeOptions;
  /** OUT.jsonl or OUT.safetensors; undefined keeps results in memory only. */
  out?: string | undefined;
  onProgress?: (done: number, total: number) => void;
  /** Set to stop after the group in flight (Ctrl-C). */
  stop?: { requested: boolean };
  /** The stream to draw records from (a worker pool passes its own). */
  stream?: AttributeJobStream;
  /**
   * Keep every pair's result in memory and return it (the default). false, with `out`, keeps only
   * each pair's completeness: the records are in the file, and memory stays flat however many pairs
   * a job has (MiniLM-L6, all layers' ffn.pre: ≈ 0.28 MB of sums per pair, 0.28 GB per 1,000 pairs).
   * Without `out` the results are the output, and are kept.
   */
  keepResults?: boolean;
}

/** Where a job's records come from: attributeStream in this thread, or a worker pool (poolStream). */
export type AttributeJobStream = (model: BertModel | OpenedModel, pairs: readonly PairEncoding[], o: AttributeOptions, s: StreamOptions) => AsyncGenerator<AttributionRecord>;

/** attributeStream on the job's model, its weights loaded first where it was only opened. */
export async function* inThisThread(model: BertModel | OpenedModel, pairs: readonly PairEncoding[], o: AttributeOptions, s: StreamOptions): AsyncGenerator<AttributionRecord> {
  yield* attributeStream(await runnable(model), pairs, o, s);
}

/** The results of runAttributeJob, in input order, and whether the job finished or was stopped. */
export interface JobResult {
  /** Every pair's result in input order, when the job finished (undefined entries if stopped; none kept with keepResults: false). */
  results: Array<PairAttribution | undefined>;
  /** Each pair's completeness error per layer relative to F(x) − F(x′), kept even when the results are not. */
  completenessRelative: Array<Float64Array | undefined>;
  /** Pairs done: in this run and resumed from the journal. */
  done: number;
  complete: boolean;
  resumedFrom: number;
}

export function journalPath(out: string): string {
  return out.endsWith('.jsonl') ? out : `${out}.partial.jsonl`;
}

/** The header that identifies a run: everything that changes the numbers. */
function jobHeader(job: AttributeJob): JournalHeader {
  const o = job.options;
  const method = o.method ?? ATTRIBUTE_DEFAULTS.method;
  const path = pathDefaults(method);
  const options: Record<string, unknown> = {
    ...o,
    method,
    // Resolved, so that a journal names the path it was made on and a change of default never resumes it.
    steps: o.steps ?? o.alphas?.length ?? path.steps,
    rule: o.rule ?? path.rule,
    chunk: o.chunk ?? ATTRIBUTE_DEFAULTS.chunk,
    pairsPerBatch: o.pairsPerBatch ?? ATTRIBUTE_DEFAULTS.pairsPerBatch,
    perToken: o.perToken ?? ATTRIBUTE_DEFAULTS.perToken,
    masks: o.masks ? masksToJson(o.masks) : undefined,
    shard: o.shard ? `${o.shard.index}/${o.shard.count}` : undefined,
    inputs: fingerprint(job.pairs),
  };
  return { celens: 'attribute', version: 1, method: String(options.method), model: job.model.source, count: job.pairs.length, options };
}

/** Attributes every pair into a resumable journal (OUT.jsonl, or OUT.safetensors at the end): a rerun continues where it stopped. */
export async function runAttributeJob(job: AttributeJob): Promise<JobResult> {
  const results = new Array<PairAttribution | undefined>(job.pairs.length);
  const relative = new Array<Float64Array | undefined>(job.pairs.length);
  const keep = job.out === undefined || job.keepResults !== false;
  let done = 0;
  const take = (index: number, result: PairAttribution): void => {
    if (keep) results[index] = result;
    relative[index] = result.completenessRelative;
    done++;
  };
  const stream = job.stream ?? inThisThread;
  if (job.out === undefined) {
    for await (const r of stream(job.model, job.pairs, job.options, { ...(job.onProgress && { onProgress: job.onProgress }) })) {
      take(r.index, r.result);
      if (job.stop?.requested) return { results, completenessRelative: relative, done, complete: false, resumedFrom: 0 };
    }
    return { results, completenessRelative: relative, done, complete: true, resumedFrom: 0 };
  }
  const out = job.out;
  if (job.options.shard && !out.endsWith('.jsonl')) {
    throw new CelensError('a shard writes JSONL (OUT.jsonl); combine shards with celens merge, which can also write safetensors', { file: out });
  }
  const journal = journalPath(out);
  const header = jobHeader(job);
  await checkWritable(out);
  const found = await readJournal(journal);
  if (!found && out !== journal && (await exists(out))) {
    throw new CelensError('output exists and is complete; delete it or choose another --out', { file: out });
  }
  if (found) checkResumable(journal, found.header, header);
  const skip = new Set(found ? found.records.keys() : []);
  const writer = await JournalWriter.open(journal, found ? undefined : header);
  let complete = true;
  try {
    for await (const r of stream(job.model, job.pairs, job.options, { skip, ...(job.onProgress && { onProgress: job.onProgress }) })) {
      await writer.line(toRecord(r.index, r.result, job.ids?.[r.index], job.sources?.[r.index]));
      take(r.index, r.result);
      // Stopping between any two records is safe: a resume skips done indices and recomputes
      // the rest of their group with the same padding, so the numbers do not change.
      if (job.stop?.requested) {
        complete = false;
        break;
      }
    }
  } finally {
    await writer.close();
  }
  if (found) for (const [i, rec] of found.records) take(i, fromRecord(rec));
  if (complete && out !== journal) {
    // (a shard always writes JSONL, so this assembles only whole runs.) Without the results in
    // memory, they are read back from the journal, once, for the file.
    const all = keep ? results : await journalResults(journal, job.pairs.length);
    await writeAttributionSafetensors(out, job.options.method === 'layer-ig' ? 'lig' : 'nig', all as PairAttribution[], {
      format: 'pt',
      producer: 'celens attribute',
      header: JSON.stringify(header),
    });
    await removeFile(journal);
  }
  return { results, completenessRelative: relative, done, complete, resumedFrom: skip.size };
}

/** Every record of a finished journal as results, in input order. */
async function journalResults(journal: string, count: number): Promise<PairAttribution[]> {
  const found = await readJournal(journal);
  const all = new Array<PairAttribution>(count);
  for (const [i, rec] of found?.records ?? []) all[i] = fromRecord(rec);
  for (let i = 0; i < count; i++) if (all[i] === undefined) throw new CelensError(`the journal has no record for pair ${i}`, { file: journal });
  return all;
}

/** A cheap fingerprint of the encoded inputs, so a resume cannot mix two different input files. */
function fingerprint(pairs: readonly PairEncoding[]): string {
  let h = 0x811c9dc5;
  const mix = (v: number): void => {
    h = Math.imul(h ^ v, 0x01000193) >>> 0;
  };
  for (const p of pairs) {
    mix(p.inputIds.length);
    for (const v of p.inputIds) mix(v);
    for (const v of p.tokenTypeIds) mix(v);
  }
  return `${pairs.length}:${h.toString(16)}`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Fails before any work when the output folder cannot be written. */
async function checkWritable(out: string): Promise<void> {
  try {
    // The trailing separator makes a regular file in the folder's place fail (ENOTDIR): access()
    // on the file itself would pass, and the job would fail later, at its first read or write.
    await access(`${dirname(out)}${sep}`, constants.W_OK);
  } catch (e) {
    throw new CelensError(`cannot write to this folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: dirname(out) });
  }
}
