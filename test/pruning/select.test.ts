/** Budgets, strategies and the random controls' per-layer counts and seeds. */
import { UsageError } from '../../src/errors.js';
import { parseConfig } from '../../src/weights/config.js';
import { mulberry32, sampleIndices } from '../../src/util/random.js';
import { parseUnitScores } from '../../src/pruning/ranking.js';
import { budgetCount, parseBudget, selectGlobal, selectionToMasks, selectUnits, totalUnits } from '../../src/pruning/select.js';
import { defaultStrategies, planCells } from '../../src/pruning/cells.js';
import { syntheticRanking } from './helpers.js';

const config = parseConfig({ model_type: 'bert', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 4, intermediate_size: 50, vocab_size: 10 });
const ranking = parseUnitScores(syntheticRanking('layer.{l}.ffn.pre', [50, 50, 50, 50], 7), config, 'r.json');

test('budgets: percentages, fractions, counts', () => {
  expect(parseBudget('0.5%')).toEqual({ label: '0.5%', fraction: 0.005 });
  expect(parseBudget('0.02')).toEqual({ label: '0.02', fraction: 0.02 });
  expect(parseBudget('12')).toEqual({ label: '12', count: 12 });
  expect(budgetCount(parseBudget('5%'), 200)).toBe(10);
  expect(budgetCount(parseBudget('0.1%'), 200)).toBe(1); // ⌈0.2⌉: a share > 0 removes at least one unit
  expect(budgetCount(parseBudget('0%'), 200)).toBe(0);
  expect(() => parseBudget('1.5')).toThrow(UsageError);
  expect(() => parseBudget('abc')).toThrow(UsageError);
  expect(() => parseBudget('150%')).toThrow(UsageError);
  expect(() => budgetCount(parseBudget('300'), 200)).toThrow(UsageError);
  expect(totalUnits(config, 'neurons')).toBe(200);
  expect(totalUnits(config, 'heads')).toBe(8);
});

test('global selection: top, bottom, ties by layer then index', () => {
  const v = [Float64Array.from([3, 1, 2]), Float64Array.from([3, 0, -5])];
  expect(selectGlobal(v, 2, (x) => x)).toEqual([[0], [0]]);
  expect(selectGlobal(v, 3, (x) => x)).toEqual([[0, 2], [0]]);
  expect(selectGlobal(v, 2, (x) => -x)).toEqual([[], [1, 2]]);
  expect(selectGlobal(v, 0, (x) => x)).toEqual([[], []]);
});

test('top takes the highest values over all layers; bottom the lowest; magnitude the smallest', () => {
  const n = 20;
  const flat = ranking.values.flatMap((v) => Array.from(v)).sort((a, b) => b - a);
  const top = selectUnits(config, 'neurons', 'top', n, { ranking });
  const picked = top.flatMap((idx, l) => idx.map((i) => ranking.values[l]?.[i] as number));
  expect(Math.min(...picked)).toBe(flat[n - 1]);
  const bottom = selectUnits(config, 'neurons', 'bottom', n, { ranking });
  expect(Math.max(...bottom.flatMap((idx, l) => idx.map((i) => ranking.values[l]?.[i] as number)))).toBe(flat[flat.length - n]);
  const magnitude = selectUnits(config, 'neurons', 'magnitude', 1, { magnitude: ranking });
  expect(magnitude.flatMap((idx, l) => idx.map((i) => ranking.values[l]?.[i]))).toEqual([flat[flat.length - 1]]);
  expect(() => selectUnits(config, 'neurons', 'nonrel', n, { ranking })).toThrow(/ranking-nonrel/);
  expect(() => selectUnits(config, 'heads', 'top', 2, { ranking })).toThrow(/scores neurons/);
});

test('random: exactly top\'s per-layer counts, reproducible from the seed', () => {
  for (const n of [1, 7, 20, 100]) {
    const counts = selectUnits(config, 'neurons', 'top', n, { ranking }).map((s) => s.length);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 5; seed++) {
      const a = selectUnits(config, 'neurons', 'random', n, { ranking }, seed);
      expect(a.map((s) => s.length)).toEqual(counts);
      expect(selectUnits(config, 'neurons', 'random', n, { ranking }, seed)).toEqual(a);
      for (const s of a) expect(new Set(s).size).toBe(s.length);
      seen.add(JSON.stringify(a));
    }
    if (n > 1) expect(seen.size).toBe(5); // different seeds, different sets (one unit of 50 may repeat)
  }
  // Without a ranking: a global uniform draw of n units.
  const g = selectUnits(config, 'neurons', 'random', 30, {}, 3);
  expect(g.flat().length).toBe(30);
  expect(selectUnits(config, 'neurons', 'random', 30, {}, 3)).toEqual(g);
  expect(g.every((s) => s.every((i) => i >= 0 && i < 50))).toBe(true);
});

test('sampleIndices draws distinct sorted indices; the generator is fixed', () => {
  const s = sampleIndices(mulberry32(42), 10, 4);
  expect(s).toEqual([...s].sort((a, b) => a - b));
  expect(new Set(s).size).toBe(4);
  expect(sampleIndices(mulberry32(42), 10, 4)).toEqual(s);
  // Pinned: the draws behind committed random-strategy sweeps and the demo's control (one
  // sampleIndices for both since they were merged; these are the values both gave before).
  expect(s).toEqual([5, 6, 7, 8]);
  expect(sampleIndices(mulberry32(1), 1536, 5)).toEqual([5, 811, 963, 1487, 1506]);
  expect(sampleIndices(mulberry32(1), 5, 5)).toEqual([0, 1, 2, 3, 4]);
  expect(() => sampleIndices(mulberry32(1), 3, 4)).toThrow(RangeError);
});

test('heads: masks on attn.heads; a cell plan in budget, strategy, seed order', () => {
  const heads = parseUnitScores(syntheticRanking('layer.{l}.attn.heads', [2, 2, 2, 2], 3), config, 'h.json');
  const m = selectionToMasks(config, 'heads', selectUnits(config, 'heads', 'top', 3, { ranking: heads }));
  expect(m.reduce((a, l) => a + l.heads.length, 0)).toBe(3);
  expect(m.every((l) => l.ffn.length === 0)).toBe(true);
  const cells = planCells(config, { unit: 'heads', strategies: ['top', 'random'], budgets: ['1', '25%'], seeds: 2 }, { ranking: heads });
  expect(cells.map((c) => c.cell)).toEqual(['top@1', 'random@1#1', 'random@1#2', 'top@25%', 'random@25%#1', 'random@25%#2']);
  expect(cells.map((c) => c.n)).toEqual([1, 1, 1, 2, 2, 2]);
  expect(cells[3]?.budget).toBe(0.25);
  expect(() => planCells(config, { unit: 'heads', strategies: ['top', 'top'], budgets: ['1'], seeds: 1 }, { ranking: heads })).toThrow(/twice/);
  expect(() => planCells(config, { unit: 'heads', strategies: ['magnitude'], budgets: ['1'], seeds: 1 }, { magnitude: heads })).toThrow(/heads have no magnitude/);
});

test('random:S copies S\'s per-layer counts (bottom, nonrel, magnitude); default strategies add every control', () => {
  const nonrel = parseUnitScores(syntheticRanking('layer.{l}.ffn.pre', [50, 50, 50, 50], 8), config, 'n.json');
  // Skewed scores: magnitude's smallest values all in layer 2, so its counts differ from top's.
  const magnitude = parseUnitScores({ site: 'layer.{l}.ffn.post', values: Object.fromEntries([0, 1, 2, 3].map((l) => [`layer.${l}`, Array.from({ length: 50 }, (_v, i) => (l === 2 ? i / 1000 : 1 + i))])) }, config, 'm.json');
  const scores = { ranking, nonrel, magnitude };
  for (const [strategy, control] of [['bottom', 'random:bottom'], ['nonrel', 'random:nonrel'], ['magnitude', 'random:magnitude']] as const) {
    const counts = selectUnits(config, 'neurons', strategy, 30, scores).map((s) => s.length);
    const draws = new Set<string>();
    for (let seed = 1; seed <= 4; seed++) {
      const a = selectUnits(config, 'neurons', control, 30, scores, seed);
      expect(a.map((s) => s.length)).toEqual(counts);
      draws.add(JSON.stringify(a));
    }
    expect(draws.size).toBe(4);
  }
  expect(selectUnits(config, 'neurons', 'magnitude', 30, scores).map((s) => s.length)).toEqual([0, 0, 30, 0]);
  expect(() => selectUnits(config, 'neurons', 'random:nonrel', 3, { ranking })).toThrow("random:nonrel copies nonrel's per-layer counts: strategy nonrel needs a non-relevance ranking (--ranking-nonrel)");
  expect(defaultStrategies('neurons', scores)).toEqual(['top', 'bottom', 'nonrel', 'random', 'magnitude', 'random:bottom', 'random:nonrel', 'random:magnitude']);
  expect(defaultStrategies('heads', {})).toEqual(['random']);
  const cells = planCells(config, { unit: 'neurons', strategies: ['magnitude', 'random:magnitude', 'random'], budgets: ['5%'], seeds: 2 }, scores);
  expect(cells.map((c) => [c.cell, c.matchedTo])).toEqual([['magnitude@5%', undefined], ['random:magnitude@5%#1', 'magnitude'], ['random:magnitude@5%#2', 'magnitude'], ['random@5%#1', 'top'], ['random@5%#2', 'top']]);
  expect(planCells(config, { unit: 'neurons', strategies: ['random'], budgets: ['5%'], seeds: 1 }, {})[0]?.matchedTo).toBeNull();
});
