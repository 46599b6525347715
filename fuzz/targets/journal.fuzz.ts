/**
 * The attribution journal (OUT.jsonl, or OUT.safetensors.partial.jsonl): what a resume reads. It is
 * checked against the run's header, turned back into results and, when every pair is there,
 * assembled into safetensors, exactly as `runAttributeJob` does on a resume.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkResumable, fromRecord, readJournal, toRecord, writeAttributionSafetensors } from '../../src/jobs/records.js';
import type { JournalHeader } from '../../src/jobs/records.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import type { SiteName } from '../../src/model/sites.js';
import { onlyCelensErrors, scratch } from '../oracle.js';

export const dictionary = ['"index"', '"segments"', '"sum"', '"segments_sum"', '"per_token"', '"completeness"', '"completeness_relative"', '"target"', '"layer.0.ffn.pre"', 'null', '[]', '{}', '1e999', '-1', '2', '"__proto__"', '\n'];

const HEADER: JournalHeader = { celens: 'attribute', version: 1, method: 'nig', model: 'fuzz', count: 2, options: { steps: 8 } };

function pair(length: number, v: number): PairAttribution {
  const site = 'layer.0.ffn.pre' as SiteName;
  const W = 3;
  return {
    segments: { length, cls: 0, query: [1, 2], sep1: 2, passage: [3, length - 1], sep2: length - 1 },
    sum: new Map([[site, Float32Array.from({ length: W }, (_x, i) => v + i)]]),
    bySegment: new Map([[site, Float32Array.from({ length: 5 * W }, (_x, i) => v * i)]]),
    perToken: new Map([[site, Float32Array.from({ length: length * W }, (_x, i) => i / 7)]]),
    targetInput: 1.5,
    targetBaseline: -0.25,
    completeness: Float64Array.from([0.001, NaN]),
    completenessRelative: Float64Array.from([0.001 / 1.75, NaN]),
  };
}

/** A valid two-pair journal (header and records) in its on-disk form. */
export function seedJournal(): string {
  return [HEADER, toRecord(0, pair(5, 0.5), '1'), toRecord(1, pair(6, -2), '2')].map((x) => `${JSON.stringify(x)}\n`).join('');
}

export async function fuzz(data: Buffer): Promise<void> {
  const file = join(scratch(), 'out.jsonl');
  writeFileSync(file, data);
  await onlyCelensErrors(async () => {
    const found = await readJournal(file);
    if (!found) return;
    checkResumable(file, found.header, HEADER);
    const results: PairAttribution[] = [];
    for (const [i, rec] of found.records) results[i] = fromRecord(rec);
    if (results.length === HEADER.count && !results.includes(undefined as unknown as PairAttribution)) {
      await writeAttributionSafetensors(join(scratch(), 'out.safetensors'), 'nig', results, { format: 'pt' });
    }
  });
}
