/**
 * Sweeps over TREC DL 2020 (first 3 judged queries, top 10 each) with the fixture model and the
 * MiniLM tokenizer: the expected cells in order, each random control's counts equal to its
 * strategy's, a resumed sweep writes the same bytes as an uninterrupted one, reuse changes no
 * number, mean ablation with zero means is zero ablation, and the summary's statistics and p-values
 * are src/stats applied to the rows' per-query values.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import type { Collection } from '../../src/ir/collection.js';
import { loadCollection } from '../../src/ir/detect.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { CellRow } from '../../src/pruning/journal.js';
import { readSweep } from '../../src/pruning/journal.js';
import { parseUnitScores } from '../../src/pruning/ranking.js';
import { runSweep, SWEEP_DEFAULTS } from '../../src/pruning/sweep.js';
import { seedStatistic, summarizeSweep } from '../../src/pruning/summary.js';
import { adjustPValues } from '../../src/stats/correction.js';
import { pairedTTest, randomizationTest } from '../../src/stats/paired.js';
import type { SweepOptions } from '../../src/pruning/sweep.js';
import { formatSweepTable } from '../../src/pruning/table.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { PairTokenizer } from '../../src/tokenize/tokenizer.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';
import { DL20, MINILM, syntheticRanking } from './helpers.js';

let tmp: string;
let model: LoadedModel;
let tokenizer: PairTokenizer;
let dl20: Collection;
let base: SweepOptions;

beforeAll(async () => {
  await selectBackend('wasm');
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-sweep-'));
  model = await loadModel(FIXTURE_DIR);
  tokenizer = await loadTokenizer(MINILM, { maxPositionEmbeddings: 128 });
  dl20 = await loadCollection(DL20);
  const ranking = parseUnitScores(syntheticRanking('layer.{l}.ffn.pre', [64, 64, 64], 11), model.config, 'r.json');
  base = { scores: { ranking }, strategies: ['top', 'bottom', 'random', 'magnitude'], budgets: ['1%', '5%'], seeds: 2, topK: 10, maxQueries: 3, referencePairs: 8, batchSize: 8 };
});
afterAll(async () => {
  disposeModel(model);
  await rm(tmp, { recursive: true, force: true });
});

const CELLS = ['first-stage', 'random-ranking', 'unpruned', 'top@1%', 'bottom@1%', 'random@1%#1', 'random@1%#2', 'magnitude@1%', 'top@5%', 'bottom@5%', 'random@5%#1', 'random@5%#2', 'magnitude@5%'];

test('a sweep writes the baselines and every cell, in plan order', async () => {
  const out = path.join(tmp, 'full.jsonl');
  const before = tf.memory().numTensors;
  const r = await runSweep(model, tokenizer, dl20, { ...base, out });
  expect(tf.memory().numTensors).toBe(before);
  expect(r.complete).toBe(true);
  expect(r.rows.map((x) => x.cell)).toEqual(CELLS);
  const file = await readSweep(out);
  expect(file?.rows).toEqual(r.rows);
  expect(file?.header).toMatchObject({ celens: 'prune', version: 2, collection: 'trec-dl-2020-passage', queries: 3, pairs: 30, options: { seeds: 2 } });
  expect(file?.header.qids).toHaveLength(3);
  const by = new Map(r.rows.map((x) => [x.cell, x]));
  const get = (c: string): CellRow => by.get(c) as CellRow;
  for (const row of r.rows) expect(Object.keys(row.metrics)).toEqual(['nDCG@10', 'RR@10']);
  expect(get('top@1%').n).toBe(2); // ⌈1% of 192⌉ = ⌈1.92⌉
  expect(get('top@5%').n).toBe(10);
  expect(get('top@5%').budget).toBe(0.05);
  for (const b of ['1%', '5%']) {
    expect(get(`random@${b}#1`).counts_per_layer).toEqual(get(`top@${b}`).counts_per_layer);
    expect(get(`random@${b}#2`).counts_per_layer).toEqual(get(`top@${b}`).counts_per_layer);
    expect(get(`magnitude@${b}`).counts_per_layer.reduce((a, c) => a + c, 0)).toBe(get(`top@${b}`).n);
  }
  expect(get('unpruned').mean_abs_delta).toBe(0);
  expect(get('top@5%').mean_abs_delta).toBeGreaterThan(0);
  expect(get('first-stage').mean_abs_delta).toBeNull();
  // Reuse: cells masking only later layers skipped the shared prefix.
  expect(r.timing.work.skipped).toBeGreaterThan(0);
  const table = formatSweepTable(r.rows);
  expect(table).toContain('random@1% (2 seeds)');
  expect(table.split('\n')[0]).toMatch(/^cell\s+units\s+nDCG@10\s+RR@10\s+mean\|Δscore\|\s+ties@10\s+per layer$/);
  const topLine = table.split('\n').find((l) => l.startsWith('top@5% '));
  expect(topLine?.endsWith(` ${get('top@5%').counts_per_layer.join('/')}`)).toBe(true);
});

test('a sweep stopped mid-way (and torn mid-line) resumes to the same bytes; no reuse gives the same numbers', async () => {
  const full = await readFile(path.join(tmp, 'full.jsonl'), 'utf8');
  const out = path.join(tmp, 'resumed.jsonl');
  const stop = { requested: false };
  const first = await runSweep(model, tokenizer, dl20, { ...base, out, stop, onCell: (_row, done) => (stop.requested = done >= 6) });
  expect(first.complete).toBe(false);
  expect(first.rows.map((x) => x.cell)).toEqual(CELLS.slice(0, 6));
  await appendFile(out, '{"cell":"random@1%#2","strat'); // a kill mid-write
  const second = await runSweep(model, tokenizer, dl20, { ...base, out });
  expect(second.complete).toBe(true);
  expect(second.resumed).toBe(6);
  expect(await readFile(out, 'utf8')).toBe(full);
  // All done: a rerun recomputes nothing and changes nothing.
  const third = await runSweep(model, tokenizer, dl20, { ...base, out });
  expect(third.timing.cells).toBe(0);
  expect(third.rows.map((x) => x.cell)).toEqual(CELLS);
  expect(await readFile(out, 'utf8')).toBe(full);
  const plain = path.join(tmp, 'plain.jsonl');
  await runSweep(model, tokenizer, dl20, { ...base, out: plain, cacheBytes: 0 });
  expect(await readFile(plain, 'utf8')).toBe(full);
  await expect(runSweep(model, tokenizer, dl20, { ...base, out, seeds: 3 })).rejects.toThrow(/a sweep with other settings is here/);
});

test('mean ablation with all-zero means equals zero ablation; heads sweep', async () => {
  const zeroMeans = { mean: model.config.intermediateSizes.map((I) => new Float32Array(I)), meanAbs: model.config.intermediateSizes.map((I) => new Float32Array(I)), pairs: 1, tokens: 1, reference: 'zeros' };
  const opts: SweepOptions = { ...base, strategies: ['top', 'random'], seeds: 1, means: zeroMeans };
  const zero = await runSweep(model, tokenizer, dl20, { ...opts, ablation: 'zero' });
  const mean = await runSweep(model, tokenizer, dl20, { ...opts, ablation: 'mean' });
  const strip = (rows: CellRow[]): unknown[] => rows.map(({ ablation: _a, ...rest }) => rest);
  expect(strip(mean.rows)).toEqual(strip(zero.rows));
  expect(mean.rows.at(-1)?.ablation).toBe('mean');
  const heads = await runSweep(model, tokenizer, dl20, { topK: 10, maxQueries: 2, unit: 'heads', budgets: ['1', '25%'], seeds: 2 });
  expect(heads.rows.map((x) => x.cell)).toEqual(['first-stage', 'random-ranking', 'unpruned', 'random@1#1', 'random@1#2', 'random@25%#1', 'random@25%#2']);
  expect(heads.rows.slice(3).map((x) => x.counts_per_layer.reduce((a, c) => a + c, 0))).toEqual([1, 1, 3, 3]);
  await expect(runSweep(model, tokenizer, dl20, { topK: 10, maxQueries: 2, unit: 'heads', ablation: 'mean' })).rejects.toThrow(/heads are masked with zeros/);
});

test('a journal whose cell removed another number of units (budgets once rounded to nearest) is refused, not resumed', async () => {
  const out = path.join(tmp, 'old-rounding.jsonl');
  const lines = (await readFile(path.join(tmp, 'full.jsonl'), 'utf8')).split('\n');
  await writeFile(out, lines.map((l) => (l.includes('"cell":"top@5%"') ? l.replace('"n":10', '"n":9') : l)).join('\n'));
  await expect(runSweep(model, tokenizer, dl20, { ...base, out })).rejects.toThrow(`${out}: its cell top@5% removed 9 units, this sweep removes 10`);
});

test('matched controls copy their strategy\'s per-layer counts; per-query values give the metrics; the tests are src/stats on them', async () => {
  expect(SWEEP_DEFAULTS.seeds).toBe(10);
  const out = path.join(tmp, 'controls.jsonl');
  const strategies: SweepOptions['strategies'] = ['top', 'bottom', 'magnitude', 'random', 'random:bottom', 'random:magnitude'];
  const r = await runSweep(model, tokenizer, dl20, { ...base, out, strategies, budgets: ['5%', '25%'], seeds: 3 });
  const by = new Map(r.rows.map((x) => [x.cell, x]));
  const get = (c: string): CellRow => by.get(c) as CellRow;
  for (const b of ['5%', '25%']) {
    for (const [strategy, control] of [['top', 'random'], ['bottom', 'random:bottom'], ['magnitude', 'random:magnitude']] as const) {
      const sets = new Set<string>();
      for (const seed of [1, 2, 3]) {
        const row = get(`${control}@${b}#${seed}`);
        expect(row.matched_to).toBe(strategy);
        expect(row.counts_per_layer).toEqual(get(`${strategy}@${b}`).counts_per_layer);
        sets.add(JSON.stringify(row.per_query));
      }
      expect(sets.size).toBeGreaterThan(1); // the seeds draw different units
      expect(get(`${strategy}@${b}`).matched_to).toBeUndefined();
    }
  }
  // The strategies put their units in different layers, so a control matched to the wrong one would show.
  expect(get('bottom@25%').counts_per_layer).not.toEqual(get('top@25%').counts_per_layer);
  expect(get('magnitude@25%').counts_per_layer).not.toEqual(get('top@25%').counts_per_layer);

  // per_query: the header's queries, in order; their mean is the row's metric.
  const qids = r.header.qids;
  expect(qids).toEqual([...qids].sort());
  for (const row of r.rows) {
    if (row.strategy === 'random-ranking') {
      expect(row.per_query).toBeUndefined();
      continue;
    }
    for (const [m, v] of Object.entries(row.metrics)) {
      const pq = row.per_query?.[m] as number[];
      expect(pq).toHaveLength(qids.length);
      expect(pq.reduce((a, b) => a + b, 0) / pq.length).toBeCloseTo(v, 12);
    }
  }
  // The journal read back holds the same per-query values (tests recomputed on resume agree).
  expect((await readSweep(out))?.rows).toEqual(r.rows);

  const s = summarizeSweep(r.rows);
  expect(s.queries).toBe(3);
  const meanOver = (rows: CellRow[], m: string): number[] => qids.map((_q, i) => rows.reduce((a, x) => a + (x.per_query?.[m]?.[i] as number), 0) / rows.length);
  const rowsOf = (cell: string): CellRow[] => r.rows.filter((x) => x.cell === cell || x.cell.startsWith(`${cell}#`));
  const expected = [];
  for (const cell of ['top@5%', 'bottom@5%', 'magnitude@5%', 'random@5%', 'random:bottom@5%', 'random:magnitude@5%', 'top@25%', 'bottom@25%', 'magnitude@25%', 'random@25%', 'random:bottom@25%', 'random:magnitude@25%']) {
    const strategy = cell.split('@')[0] as string;
    const control = { top: 'random', bottom: 'random:bottom', magnitude: 'random:magnitude' }[strategy];
    for (const m of ['nDCG@10', 'RR@10']) {
      const y = meanOver(rowsOf(cell), m);
      for (const against of ['unpruned', ...(control ? [`${control}@${cell.split('@')[1]}`] : [])]) {
        const x = meanOver(rowsOf(against), m);
        const delta = y.reduce((a, v) => a + v, 0) / y.length - x.reduce((a, v) => a + v, 0) / x.length;
        expected.push({ cell, against, measure: m, delta, t: pairedTTest(x, y).p, randomization: randomizationTest(x, y, { trials: 10000, seed: 1 }).p });
      }
    }
  }
  expect(s.tests.map((t) => ({ cell: t.cell, against: t.against, measure: t.measure, delta: t.delta, t: t.p.t ?? NaN, randomization: t.p.randomization ?? NaN }))).toEqual(expected);
  expect(s.tests.some((t) => t.delta !== 0)).toBe(true);
  // Something was detectable: not every p-value is 1 or missing.
  expect(s.tests.some((t) => t.p.randomization !== null && t.p.randomization < 1)).toBe(true);
  for (const family of [(a: string) => a === 'unpruned', (a: string) => a !== 'unpruned']) {
    const members = s.tests.filter((t) => family(t.against));
    for (const test of ['t', 'randomization'] as const) {
      expect(members.map((t) => t.pAdjusted[test] ?? NaN)).toEqual(adjustPValues(members.map((t) => t.p[test] ?? NaN), 'holm'));
    }
  }
  // Seeds: mean, sample sd, and the 95% interval with t(0.975; 2) = 0.95 / √(2 · 0.975 · 0.025) (closed form for 2 df).
  const cell = s.cells.find((c) => c.cell === 'random:bottom@25%');
  const values = rowsOf('random:bottom@25%').map((x) => x.metrics['nDCG@10'] as number);
  const mean = values.reduce((a, v) => a + v, 0) / 3;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / 2);
  const half = ((0.95 / Math.sqrt(2 * 0.975 * 0.025)) * sd) / Math.sqrt(3);
  expect(cell?.seeds).toEqual([1, 2, 3]);
  expect(cell?.counts_per_layer).toEqual(get('bottom@25%').counts_per_layer);
  expect(cell?.metrics['nDCG@10']?.mean).toBeCloseTo(mean, 14);
  expect(cell?.metrics['nDCG@10']?.sd).toBeCloseTo(sd, 14);
  expect(cell?.metrics['nDCG@10']?.ci95?.[0]).toBeCloseTo(mean - half, 10);
  expect(cell?.metrics['nDCG@10']?.ci95?.[1]).toBeCloseTo(mean + half, 10);
  expect(seedStatistic([0.5])).toEqual({ mean: 0.5, sd: null, ci95: null });
  // A test on the adjustment and trials the caller asks for.
  const none = summarizeSweep(r.rows, { correction: 'none' });
  expect(none.tests.map((t) => t.pAdjusted)).toEqual(none.tests.map((t) => t.p));
});
