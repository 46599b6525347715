/**
 * Streaming, chunking and resuming: chunk sizes and pairs-per-batch do not change the numbers
 * (beyond float32 reassociation), and a run stopped part-way then resumed writes exactly the
 * bytes of an uninterrupted run.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { attribute, unpad } from '../../src/attribution/attribute.js';
import { planGroups } from '../../src/attribution/plan.js';
import { runAttributeJob, journalPath } from '../../src/jobs/job.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { selectBackend } from '../../src/backend/select.js';
import { FIXTURE_DIR, fixtureBatch, maxAbsDiff, reference } from '../helpers/fixture.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';

let model: LoadedModel;
let pairs: PairEncoding[];
let dir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  model = await loadModel(FIXTURE_DIR);
  pairs = unpad(fixtureBatch(await reference()));
  // 12 pairs of 4 different lengths: several groups.
  pairs = [...pairs, ...pairs.slice().reverse(), ...pairs];
  dir = await mkdtemp(join(tmpdir(), 'celens-job-'));
});
afterAll(() => disposeModel(model));

test('groups are planned by length, input order breaking ties', () => {
  expect(planGroups([5, 3, 5, 1, 3], 2)).toEqual([[3, 1], [4, 0], [2]]);
});

// Padding a pair with longer ones changes float32 rounding (the fixture saw 8e-7 for logits), so 1e-5.
test('chunk 1, 7 and m, and 1 or 4 pairs per batch, give the same attributions', async () => {
  const before = tf.memory().numTensors;
  const runs = await Promise.all([
    attribute(model, pairs, { steps: 20, chunk: 1, pairsPerBatch: 1, sites: ['ffn.pre', 'ffn.post'] }),
    attribute(model, pairs, { steps: 20, chunk: 7, pairsPerBatch: 4, sites: ['ffn.pre', 'ffn.post'] }),
    attribute(model, pairs, { steps: 20, chunk: 20, pairsPerBatch: 3, sites: ['ffn.pre', 'ffn.post'] }),
  ]);
  expect(tf.memory().numTensors).toBe(before);
  const [a, ...others] = runs;
  for (const b of others) {
    pairs.forEach((_p, i) => {
      for (const [site, v] of a?.[i]?.sum ?? []) expect(maxAbsDiff(v, b[i]?.sum.get(site) as Float32Array)).toBeLessThan(1e-5);
      expect(maxAbsDiff(a?.[i]?.completeness ?? [], b[i]?.completeness ?? [])).toBeLessThan(1e-5);
    });
  }
});

test.each(['out.jsonl', 'out.safetensors'])('a stopped and resumed run writes the same file as an uninterrupted one (%s)', async (name) => {
  const options = { steps: 8, pairsPerBatch: 2, perToken: true } as const;
  const full = join(dir, `full-${name}`);
  await runAttributeJob({ model, pairs, options, out: full });
  for (const stopAfter of [1, 5]) {
    const part = join(dir, `part${stopAfter}-${name}`);
    let seen = 0;
    const stop = { requested: false };
    const first = await runAttributeJob({ model, pairs, options, out: part, stop, onProgress: () => {
      seen++;
      if (seen > stopAfter) stop.requested = true;
    } });
    expect(first.complete).toBe(false);
    const second = await runAttributeJob({ model, pairs, options, out: part });
    expect(second.complete).toBe(true);
    expect(second.resumedFrom).toBeGreaterThan(0);
    expect(second.resumedFrom).toBeLessThan(pairs.length);
    expect(Buffer.compare(await readFile(part), await readFile(full))).toBe(0);
    if (!name.endsWith('.jsonl')) await expect(readFile(journalPath(part))).rejects.toThrow(/ENOENT/);
  }
});

test('a journal written with other settings is refused, naming the file', async () => {
  const out = join(dir, 'other.jsonl');
  const stop = { requested: true };
  await runAttributeJob({ model, pairs, options: { steps: 8 }, out, stop });
  await expect(runAttributeJob({ model, pairs, options: { steps: 9 }, out })).rejects.toThrow(/other\.jsonl: an unfinished run with other settings/);
});

test('shards compute disjoint groups of the same plan; together they equal the whole run', async () => {
  const options = { steps: 6, pairsPerBatch: 2 } as const;
  const whole = await runAttributeJob({ model, pairs, options });
  const seen = new Set<number>();
  for (let i = 0; i < 3; i++) {
    const part = await runAttributeJob({ model, pairs, options: { ...options, shard: { index: i, count: 3 } } });
    part.results.forEach((r, idx) => {
      if (!r) return;
      expect(seen.has(idx)).toBe(false);
      seen.add(idx);
      for (const [site, v] of r.sum) expect(Buffer.from(v.buffer).equals(Buffer.from((whole.results[idx]?.sum.get(site) as Float32Array).buffer))).toBe(true);
    });
  }
  expect(seen.size).toBe(pairs.length);
});

test.each(['out.jsonl', 'out.safetensors'])('keepResults: false writes the same file, keeps no result, and still reports every pair (%s)', async (name) => {
  const options = { steps: 8, pairsPerBatch: 2 } as const;
  const kept = await runAttributeJob({ model, pairs, options, out: join(dir, `kept-${name}`) });
  // Stopped part-way and resumed, so that the resumed records count too.
  const lean = join(dir, `lean-${name}`);
  const stop = { requested: false };
  let seen = 0;
  await runAttributeJob({ model, pairs, options, out: lean, keepResults: false, stop, onProgress: () => {
    seen++;
    if (seen > 3) stop.requested = true;
  } });
  const rest = await runAttributeJob({ model, pairs, options, out: lean, keepResults: false });
  expect(rest.complete).toBe(true);
  expect(rest.resumedFrom).toBeGreaterThan(0);
  expect(await readFile(lean)).toEqual(await readFile(join(dir, `kept-${name}`)));
  expect(rest.results.every((r) => r === undefined)).toBe(true);
  expect(rest.done).toBe(pairs.length);
  expect(kept.done).toBe(pairs.length);
  // Resumed pairs come back from the journal, which holds float32 values.
  pairs.forEach((_p, i) => expect(maxAbsDiff(rest.completenessRelative[i] ?? [], kept.results[i]?.completenessRelative ?? [1])).toBeLessThan(1e-9));
});
