/**
 * `attribute --shard i/N` then merge = the unsharded run, bit for bit (JSONL and safetensors); and
 * every way a set of shard files can be wrong is refused, naming the file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpad } from '../../src/attribution/attribute.js';
import { planGroups } from '../../src/attribution/plan.js';
import type { AttributeOptions } from '../../src/attribution/attribute.js';
import { runAttributeJob } from '../../src/jobs/job.js';
import { selectBackend } from '../../src/backend/select.js';
import { mergeShards } from '../../src/analysis/merge-shards.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';
import { FIXTURE_DIR, fixtureBatch, reference } from '../helpers/fixture.js';
import { header, record } from './make-records.js';

let model: LoadedModel;
let pairs: PairEncoding[];
let dir: string;
const options: AttributeOptions = { steps: 4, pairsPerBatch: 2, sites: ['ffn.pre'] };
const shardFile = (n: number, i: number): string => join(dir, `shard-${i}-of-${n}.jsonl`);

beforeAll(async () => {
  await selectBackend('wasm');
  model = await loadModel(FIXTURE_DIR);
  pairs = unpad(fixtureBatch(await reference()));
  // 12 pairs of 4 lengths, 6 groups of 2: shards get uneven numbers of groups.
  pairs = [...pairs, ...pairs.slice().reverse(), ...pairs];
  dir = await mkdtemp(join(tmpdir(), 'celens-merge-'));
  await runAttributeJob({ model, pairs, options, out: join(dir, 'full.jsonl') });
  await runAttributeJob({ model, pairs, options, out: join(dir, 'full.safetensors') });
  for (const n of [3, 4]) for (let i = 0; i < n; i++) await runAttributeJob({ model, pairs, options: { ...options, shard: { index: i, count: n } }, out: shardFile(n, i) });
});
afterAll(async () => {
  disposeModel(model);
  await rm(dir, { recursive: true, force: true });
});

const shards = (n: number): string[] => Array.from({ length: n }, (_v, i) => shardFile(n, i));

test.each([3, 4])('merging %i shards (any order) writes the unsharded JSONL byte for byte', async (n) => {
  const out = join(dir, `merged-${n}.jsonl`);
  const r = await mergeShards({ shards: shards(n).reverse(), out });
  expect(r).toEqual({ header: expect.objectContaining({ count: 12 }) as unknown, shards: n, pairs: 12, warnings: [] });
  expect(Buffer.compare(await readFile(out), await readFile(join(dir, 'full.jsonl')))).toBe(0);
});

test('merging into .safetensors writes what attribute --out X.safetensors writes', async () => {
  const out = join(dir, 'merged.safetensors');
  await mergeShards({ shards: shards(4), out });
  expect(Buffer.compare(await readFile(out), await readFile(join(dir, 'full.safetensors')))).toBe(0);
});

test('a shard holds exactly the groups k % N === i of the unsharded plan', async () => {
  const lines = async (f: string): Promise<string[]> => (await readFile(f, 'utf8')).trim().split('\n');
  const full = (await lines(join(dir, 'full.jsonl'))).slice(1);
  const groups = planGroups(pairs.map((p) => p.inputIds.length), 2);
  for (let i = 0; i < 4; i++) {
    const [h, ...recs] = await lines(shardFile(4, i));
    expect((JSON.parse(h as string) as { options: { shard: string } }).options.shard).toBe(`${i}/4`);
    const mine = groups.flatMap((g, k) => (k % 4 === i ? g : []));
    expect(recs).toEqual(mine.map((idx) => full[groups.flat().indexOf(idx)]));
  }
});

describe('refused, naming the file', () => {
  const variant = async (name: string, from: string, edit: (text: string) => string): Promise<string> => {
    const f = join(dir, name);
    await writeFile(f, edit(await readFile(from, 'utf8')));
    return f;
  };
  const out = (): string => join(dir, 'refused.jsonl');
  const s0 = (): string => shardFile(4, 0);
  const s1 = (): string => shardFile(4, 1);
  const s2 = (): string => shardFile(4, 2);
  const s3 = (): string => shardFile(4, 3);
  const cut = (t: string, keep: (lines: string[]) => string[]): string => `${keep(t.trimEnd().split('\n')).join('\n')}\n`;

  test('missing and repeated shards', async () => {
    await expect(mergeShards({ shards: [s0(), s1(), s3()], out: out() })).rejects.toThrow('missing shard 2/4 (have 0/4, 1/4, 3/4)');
    await expect(mergeShards({ shards: [s0(), s1(), s2(), s3(), s1()], out: out() })).rejects.toThrow(`${s1()}: shard 1/4 is given twice (also ${s1()})`);
    const copy = await variant('copy-of-1.jsonl', s1(), (t) => cut(t, (l) => l.slice(0, 1)));
    await expect(mergeShards({ shards: [s0(), s1(), copy, s2(), s3()], out: out() })).rejects.toThrow(`${copy}: shard 1/4 is given twice (also ${s1()})`);
  });

  test('an unfinished shard and a torn last line', async () => {
    const short = await variant('short-1.jsonl', s1(), (t) => cut(t, (l) => l.slice(0, -1)));
    await expect(mergeShards({ shards: [s0(), short, s2(), s3()], out: out() })).rejects.toThrow(`${short}: incomplete shard 1/4: it holds 3 of its 4 pairs; rerun its attribute command (same --shard) to finish it`);
    const torn = await variant('torn-1.jsonl', s1(), (t) => t.slice(0, -100));
    await expect(mergeShards({ shards: [s0(), torn, s2(), s3()], out: out() })).rejects.toThrow(`${torn}: incomplete shard 1/4: it holds 3 of its 4 pairs (line 5 is torn: the run was stopped mid-line or is still running); rerun its attribute command (same --shard) to finish it`);
  });

  test('headers of another run, another N, or no shard at all', async () => {
    const other = await variant('other-2.jsonl', s2(), (t) => t.replace('"steps":4', '"steps":5'));
    await expect(mergeShards({ shards: [s0(), s1(), other, s3()], out: out() })).rejects.toThrow(`${other}: header differs from ${s0()}'s beyond the shard tag`);
    await expect(mergeShards({ shards: [s0(), s1(), shardFile(3, 2), s3()], out: out() })).rejects.toThrow(`${shardFile(3, 2)}: shard 2/3 does not split into 4`);
    await expect(mergeShards({ shards: [join(dir, 'full.jsonl')], out: out() })).rejects.toThrow('full.jsonl: not a shard (its header has no options.shard "i/N"; an unsharded run needs no merge)');
    await expect(mergeShards({ shards: [s0()], out: s0() })).rejects.toThrow('the output is one of the shards');
  });

  test('a different model path is only a warning', async () => {
    const moved = await variant('moved-3.jsonl', s3(), (t) => t.replace(`"model":${JSON.stringify(model.source)}`, '"model":"/node-local/model"'));
    const r = await mergeShards({ shards: [s0(), s1(), s2(), moved], out: join(dir, 'moved.jsonl') });
    expect(r.warnings).toEqual([`${moved}: model '/node-local/model' differs from '${model.source}' (${s0()}); the merged header keeps the latter`]);
    expect(Buffer.compare(await readFile(join(dir, 'moved.jsonl')), await readFile(join(dir, 'full.jsonl')))).toBe(0);
  });

  test('pairs in the wrong shard for the plan', async () => {
    // 4 pairs of one length, 1 per group: shard 0/2 must hold 0 and 2, not 0 and 1.
    const write = async (name: string, i: number, idx: number[]): Promise<string> => {
      const f = join(dir, name);
      const lines = [header(4, { pairsPerBatch: 1, shard: `${i}/2` }), ...idx.map((k) => record(k, { layers: [[k]] }))];
      await writeFile(f, lines.map((o) => `${JSON.stringify(o)}\n`).join(''));
      return f;
    };
    const a = await write('wrong-0.jsonl', 0, [0, 1]);
    const b = await write('wrong-1.jsonl', 1, [2, 3]);
    await expect(mergeShards({ shards: [a, b], out: out() })).rejects.toThrow(`${a}: pair 1 is in group 1, which shard 1/2 (${b}) computes, but this file holds it`);
  });
});
