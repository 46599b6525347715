/** `celens neurons` end to end on hand-built journals: tables, JSON, mask + meta files. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { masksToJson, readMasks } from '../../src/model/masks.js';
import { parseConfig } from '../../src/weights/config.js';
import { writeRecords } from '../analysis/make-records.js';
import { runCli } from '../helpers/cli.js';

let tmp: string;
let dl19: string;
let covid: string;
const config = parseConfig({ hidden_size: 8, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 4, vocab_size: 10 });
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-neurons-'));
  // 2 layers × 4 neurons; top-p:25 keeps 2. Relevant means: dl19 [5,1,0,-1],[0,4,2,0]; covid [1,5,0,-1],[0,4,-3,2].
  dl19 = await writeRecords(path.join(tmp, 'dl19.jsonl'), [
    { layers: [[6, 2, 0, -2], [0, 4, 4, 0]], source: { dataset: 'dl19', relevant: true } },
    { layers: [[4, 0, 0, 0], [0, 4, 0, 0]], source: { dataset: 'dl19', relevant: true } },
    { layers: [[0, 0, 0, 9], [0, 0, 0, 0]], source: { dataset: 'dl19', relevant: false } },
  ]);
  covid = await writeRecords(path.join(tmp, 'covid.jsonl'), [
    { layers: [[1, 5, 0, -1], [0, 4, -3, 2]], source: { dataset: 'covid', relevant: true } },
    { layers: [[0, 0, 7, 0], [0, 0, 0, 0]], source: { dataset: 'covid', relevant: false } },
  ]);
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('--intersect on relevant pairs writes the relevance neurons as a mask', async () => {
  const out = path.join(tmp, 'rel.json');
  const r = await runCli(['neurons', '--in', dl19, '--in', covid, '--from', 'relevant', '--select', 'top-p:25', '--intersect', '--out', out]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe(`celens: wrote ${out} and ${path.join(tmp, 'rel.meta.json')}\n`);
  expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({ 'layer.1.ffn': [1] });
  expect(masksToJson(await readMasks(out, config))).toEqual({ 'layer.1.ffn': [1] });
  const meta = JSON.parse(await readFile(path.join(tmp, 'rel.meta.json'), 'utf8')) as Record<string, unknown>;
  expect(meta).toMatchObject({ set: 'intersect/top-p:25', from: 'relevant', size: 1, perLayer: [0, 1] });
  expect(meta.neurons).toEqual([{ layer: 1, index: 1, value: 4, values: { 'dl19/top-p:25': 4, 'covid/top-p:25': 4 } }]);
  expect(r.stdout).toContain('dataset  pairs  relevant  nonrelevant\ndl19         3         2            1\ncovid        2         1            1');
  expect(r.stdout).toMatch(/dl19\/top-p:25\s+covid\/top-p:25\s+2\s+2\s+1\s+0\.333/);
});

test('--json: sets with per-layer counts and neurons, overlaps; --diff and per-layer rules', async () => {
  const r = await runCli(['neurons', '--in', dl19, '--in', covid, '--from', 'nonrelevant', '--select', 'top-k:1', '--diff', 'covid:dl19', '--json']);
  expect(r.code).toBe(0);
  const j = JSON.parse(r.stdout) as { sets: Array<{ set: string; perLayer: number[]; neurons: Array<{ layer: number; index: number; value: number }> }>; overlaps: unknown[]; from: string };
  expect(j.from).toBe('nonrelevant');
  expect(j.sets.map((s) => [s.set, s.neurons.map((n) => `${n.layer}.${n.index}=${n.value}`)])).toEqual([
    ['dl19/top-k:1', ['0.3=9', '1.0=0']],
    ['covid/top-k:1', ['0.2=7', '1.0=0']],
    // covid − dl19 non-relevant: [0,0,7,-9],[0,0,0,0]
    ['covid-minus-dl19/top-k:1', ['0.2=7', '1.0=0']],
  ]);
  expect(j.overlaps).toHaveLength(3);
});

test('magnitude without --magnitude is skipped with a note; with it, it ranks the file', async () => {
  const skip = await runCli(['neurons', '--in', dl19, '--select', 'magnitude:25', '--select', 'top-p:25', '--json']);
  expect(skip.code).toBe(0);
  expect(skip.stderr).toContain('celens: note: magnitude:25 skipped: it ranks neurons by mean |activation|, which needs --magnitude FILE');
  const mag = path.join(tmp, 'mag.json');
  await writeFile(mag, JSON.stringify({ 'layer.0': [0, 0, 0, 1], 'layer.1': [3, 0, 0, 0] }));
  const out = path.join(tmp, 'mag-set.json');
  const r = await runCli(['neurons', '--in', dl19, '--select', 'magnitude:25', '--magnitude', mag, '--out', out]);
  expect(r.code).toBe(0);
  expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({ 'layer.0.ffn': [3], 'layer.1.ffn': [0] });
});

test('usage errors: an ambiguous --out, a bad rule, a missing file', async () => {
  const many = await runCli(['neurons', '--in', dl19, '--in', covid, '--out', path.join(tmp, 'x.json')]);
  expect(many.code).toBe(1);
  expect(many.stderr).toBe('celens: --out writes one set; this run makes 2 (dl19/top-p:1, covid/top-p:1): keep one --select and one of --intersect, --fuse, --diff (or one dataset)\n');
  const bad = await runCli(['neurons', '--in', dl19, '--select', 'top-p:0']);
  expect(bad.stderr).toMatch(/^celens: selection 'top-p:0' is not one of/);
  const none = await runCli(['neurons', '--in', path.join(tmp, 'none.jsonl')]);
  expect(none.stderr).toBe(`celens: ${path.join(tmp, 'none.jsonl')}: cannot read (ENOENT)\n`);
});

test('--ranking-out writes a ranking that celens prune reads', async () => {
  const { mkdtemp, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { readUnitScores } = await import('../../src/pruning/ranking.js');
  const { parseConfig } = await import('../../src/weights/config.js');
  const { runCli } = await import('../helpers/cli.js');
  const dir = await mkdtemp(join(tmpdir(), 'celens-rank-'));
  const header = { celens: 'attribute', version: 1, method: 'nig', model: 'm', count: 2, options: {} };
  const rec = (index: number, relevant: boolean, v: number[][]): object => ({
    index, source: { dataset: 'd', qid: 'q', docid: `d${index}`, grade: relevant ? 1 : 0, relevant }, length: 5,
    segments: { length: 5, cls: 0, query: [1, 2], sep1: 2, passage: [3, 4], sep2: 4 }, target: { input: 1, baseline: 0 }, completeness: [0, 0],
    sum: { 'layer.0.ffn.pre': v[0], 'layer.1.ffn.pre': v[1] }, segments_sum: { 'layer.0.ffn.pre': [v[0], [0, 0], [0, 0], [0, 0], [0, 0]], 'layer.1.ffn.pre': [v[1], [0, 0], [0, 0], [0, 0], [0, 0]] },
  });
  const file = join(dir, 'a.jsonl');
  await writeFile(file, [header, rec(0, true, [[1, 2], [3, 4]]), rec(1, false, [[5, 6], [7, 8]])].map((o) => JSON.stringify(o)).join('\n') + '\n');
  const out = join(dir, 'rank.json');
  const r = await runCli(['neurons', '--in', file, '--from', 'relevant', '--ranking-out', out]);
  expect(r.code).toBe(0);
  const c = parseConfig({ hidden_size: 4, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 2 });
  const scores = await readUnitScores(out, c);
  expect(scores.values.map((v) => Array.from(v))).toEqual([[1, 2], [3, 4]]);
  // --from contrast: relevant − non-relevant = [1−5, 2−6], [3−7, 4−8].
  const contrast = join(dir, 'contrast.json');
  expect((await runCli(['neurons', '--in', file, '--from', 'contrast', '--ranking-out', contrast])).code).toBe(0);
  expect((await readUnitScores(contrast, c)).values.map((v) => Array.from(v))).toEqual([[-4, -4], [-4, -4]]);
});

test('--from contrast --permutations --bootstrap: p-values and frequencies on the neurons, the tests and the distribution in --json', async () => {
  const r = await runCli(['neurons', '--in', dl19, '--from', 'contrast', '--select', 'top-p:25', '--permutations', '3000', '--bootstrap', '60', '--seed', '4', '--json']);
  expect(r.code).toBe(0);
  type N = { layer: number; index: number; value: number; p: number; pAdjusted: number; frequency: number };
  const j = JSON.parse(r.stdout) as {
    from: string;
    distributions: Array<{ name: string; layers: Array<{ layer: number; min: number; max: number; positive: number; negative: number }> }>;
    sets: Array<{ set: string; neurons: N[]; test: Record<string, unknown>; bootstrap: { replicates: number; failed: number; seed: number; jaccard: { mean: number } } }>;
    tests: Array<{ name: string; permutations: number; correction: string; pairs: unknown; significant: unknown[]; minAttainableP: number }>;
  };
  expect(j.from).toBe('contrast');
  // dl19: relevant mean [5,1,0,−1],[0,4,2,0] − non-relevant [0,0,0,9],[0,0,0,0] = [5,1,0,−10],[0,4,2,0].
  expect(j.distributions.map((d) => [d.name, d.layers.map((l) => [l.min, l.max, l.positive, l.negative])])).toEqual([['dl19', [[-10, 5, 2, 1], [0, 4, 2, 0]]]]);
  const [set] = j.sets;
  expect(set?.neurons.map((n) => `${n.layer}.${n.index}=${n.value}`)).toEqual(['0.0=5', '1.1=4']);
  // 3 pairs, 1 non-relevant: 3 labelings, and only the observed one reaches |T| = 5 (the others give −4 and −1): p = 1/3.
  expect(Math.abs((set?.neurons[0]?.p as number) - 1 / 3)).toBeLessThan(0.04);
  expect(set?.neurons[0]?.pAdjusted).toBeGreaterThanOrEqual(set?.neurons[0]?.p as number);
  expect(set?.test).toMatchObject({ tests: ['dl19'], permutations: 3000, seed: 4, correction: 'bh', alpha: 0.05 });
  expect(j.tests).toEqual([expect.objectContaining({ name: 'dl19', permutations: 3000, correction: 'bh', pairs: { relevant: 2, nonrelevant: 1 }, significant: [], minAttainableP: 1 / 3001 })]);
  // Bootstrap: a replicate that draws no non-relevant (or no relevant) query has no contrast and fails.
  expect((set?.bootstrap.replicates as number) + (set?.bootstrap.failed as number)).toBe(60);
  expect(set?.bootstrap.failed).toBeGreaterThan(0);
  expect(set?.bootstrap.seed).toBe(4);
  for (const n of set?.neurons ?? []) expect(n.frequency).toBeGreaterThan(0);
  expect(r.stderr).toMatch(/celens: note: bootstrap: \d+ of 60 replicates drew no pair of a group a set needs/);
});

test('the table shows each dataset\'s signed distribution per layer and, with --permutations, the test', async () => {
  const r = await runCli(['neurons', '--in', dl19, '--in', covid, '--from', 'relevant', '--select', 'abs-top-p:25', '--permutations', '20']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('dl19: mean over relevant pairs, per layer (all neurons; >0 / <0 count them, Σ>0 / Σ<0 add their values)');
  // covid relevant layer 1: [0, 4, −3, 2].
  expect(r.stdout).toMatch(/covid: mean over relevant pairs, per layer[^\n]*\nlayer[^\n]*\n0[^\n]*\n1\s+4\s+-3\.000\s+[^\n]*4\.000\s+2\s+1\s+6\.000\s+-3\.000\n/);
  expect(r.stdout).toContain('neurons with Benjamini–Hochberg-adjusted p <= 0.05, per layer');
  expect(r.stderr).toContain('celens: note: --permutations 20: the smallest p-value is 1/21, above α/m = 0.05/8');
});

test('bad --permutations, --bootstrap, --alpha and --correction are usage errors', async () => {
  expect((await runCli(['neurons', '--in', dl19, '--permutations', '-1'])).stderr).toBe('celens: --permutations must be an integer >= 0\n');
  expect((await runCli(['neurons', '--in', dl19, '--bootstrap', '2.5'])).stderr).toBe('celens: --bootstrap must be an integer >= 0\n');
  expect((await runCli(['neurons', '--in', dl19, '--alpha', '1'])).stderr).toBe('celens: --alpha must lie between 0 and 1\n');
  expect((await runCli(['neurons', '--in', dl19, '--correction', 'sidak'])).code).toBe(1);
});
