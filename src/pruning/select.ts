/**
 * Which units a pruning cell removes. A budget is a share of all units of the model (L×I FFN
 * neurons, or L×heads heads), chosen globally across layers, as the paper's "top p%": the layers
 * that hold the most extreme scores give up the most units.
 *
 *   top        highest value of the relevance ranking (most positive mean attribution)
 *   nonrel     highest value of the non-relevance ranking
 *   bottom     lowest value of the relevance ranking (most negative)
 *   magnitude  lowest mean |activation|: the conventional magnitude-pruning baseline, which
 *              removes the units that look least important
 *   random     the control of `top`: uniformly drawn within each layer, with exactly `top`'s
 *              per-layer counts at the same budget (so the comparison controls for where the
 *              units are); with no relevance ranking, a global uniform draw. Seeds 1…S.
 *   random:S   the control of strategy S (bottom, nonrel, magnitude): the same draw with S's
 *              per-layer counts. `random` keeps its name (it is `random:top`) so that sweeps and
 *              scripts written before the other controls read alike.
 * A seed k draws mulberry32(k) for every control, so two controls with equal counts draw the same
 * units (the draw of `random` is the one it always was).
 * Equal scores are broken by layer, then index, ascending, so a selection never depends on sort
 * stability.
 */
import { UsageError } from '../errors.js';
import type { Masks } from '../model/masks.js';
import { emptyMasks } from '../model/masks.js';
import type { BertConfig } from '../weights/config.js';
import { mulberry32, sampleIndices } from '../util/random.js';
import { shareCount } from '../util/share-count.js';
import type { Unit, UnitScores } from './ranking.js';
import { unitsInLayer } from './ranking.js';

/** The strategies that rank units by a score; each has a random control matched to it. */
export type RankedStrategy = 'top' | 'nonrel' | 'bottom' | 'magnitude';
/** The random controls: `random` is `top`'s, `random:S` is S's. */
export type RandomStrategy = 'random' | 'random:nonrel' | 'random:bottom' | 'random:magnitude';
export type Strategy = RankedStrategy | RandomStrategy;
export const STRATEGIES: readonly Strategy[] = ['top', 'nonrel', 'bottom', 'random', 'magnitude', 'random:nonrel', 'random:bottom', 'random:magnitude'];

/** Each ranked strategy's random control. */
export const CONTROL_OF: Readonly<Record<RankedStrategy, RandomStrategy>> = { top: 'random', nonrel: 'random:nonrel', bottom: 'random:bottom', magnitude: 'random:magnitude' };

export function isRandomStrategy(s: string): s is RandomStrategy {
  return s === 'random' || s.startsWith('random:');
}

/**
 * The strategy whose per-layer counts a random control copies: S for `random:S`, `top` for
 * `random` given a relevance ranking, null for `random` without one (a global uniform draw).
 */
export function matchedTo(s: RandomStrategy, scores: Pick<StrategyScores, 'ranking'>): RankedStrategy | null {
  if (s === 'random') return scores.ranking ? 'top' : null;
  return s.slice('random:'.length) as RankedStrategy;
}

/** `0.5%` or `0.005` (a fraction, < 1) or `12` (a count, an integer ≥ 1). */
export interface Budget {
  label: string;
  fraction?: number;
  count?: number;
}

export function parseBudget(s: string): Budget {
  const t = s.trim();
  const pct = /^(\d+(?:\.\d+)?|\.\d+)%$/.exec(t);
  const v = pct ? Number(pct[1]) / 100 : Number(t);
  if (t === '' || !Number.isFinite(v) || v < 0) throw new UsageError(`budget '${s}' is not a percentage (0.5%), a fraction (0.005) or a count (12)`);
  if (pct || v < 1) {
    if (v > 1) throw new UsageError(`budget '${s}' is more than 100%`);
    return { label: t, fraction: v };
  }
  if (!Number.isInteger(v)) throw new UsageError(`budget '${s}': a count must be an integer (fractions are below 1)`);
  return { label: t, count: v };
}

export function totalUnits(c: Pick<BertConfig, 'intermediateSizes' | 'numHeads' | 'numLayers'>, unit: Unit): number {
  let n = 0;
  for (let l = 0; l < c.numLayers; l++) n += unitsInLayer(c, unit, l);
  return n;
}

/**
 * Units a budget removes: ⌈fraction × total⌉, or the count itself. A share rounds as a neuron set's
 * `top-p:P` does (util/share-count.ts), so `--budgets 2%` removes the set `neurons --select top-p:2` writes.
 */
export function budgetCount(b: Budget, total: number): number {
  const n = b.count ?? shareCount(total, b.fraction ?? 0);
  if (n > total) throw new UsageError(`budget ${b.label} asks for ${n} units, the model has ${total}`);
  return n;
}

/** The scores a strategy needs, by role. */
export interface StrategyScores {
  ranking?: UnitScores;
  nonrel?: UnitScores;
  magnitude?: UnitScores;
}

/** Per layer, the sorted indices the cell removes. */
export type Selection = number[][];

export function selectUnits(c: BertConfig, unit: Unit, strategy: Strategy, n: number, scores: StrategyScores, seed = 1): Selection {
  const need = (s: UnitScores | undefined, what: string): Float64Array[] => {
    if (!s) throw new UsageError(`strategy ${strategy} needs ${what}`);
    if (s.unit !== unit) throw new UsageError(`${s.source}: scores ${s.unit}, but the sweep prunes ${unit}`);
    return s.values;
  };
  switch (strategy) {
    case 'top':
      return selectGlobal(need(scores.ranking, 'a relevance ranking (--ranking)'), n, (v) => v);
    case 'bottom':
      return selectGlobal(need(scores.ranking, 'a relevance ranking (--ranking)'), n, (v) => -v);
    case 'nonrel':
      return selectGlobal(need(scores.nonrel, 'a non-relevance ranking (--ranking-nonrel)'), n, (v) => v);
    case 'magnitude':
      if (unit === 'heads') throw new UsageError('strategy magnitude prunes FFN neurons (mean |activation|); heads have no magnitude');
      return selectGlobal(need(scores.magnitude, 'mean |activation| per neuron (--magnitude, or computed from --reference-pairs)'), n, (v) => -v);
    case 'random':
    case 'random:nonrel':
    case 'random:bottom':
    case 'random:magnitude': {
      const rand = mulberry32(seed);
      const sizes = Array.from({ length: c.numLayers }, (_v, l) => unitsInLayer(c, unit, l));
      const matched = matchedTo(strategy, scores);
      if (matched !== null) {
        let counts: number[];
        try {
          counts = selectUnits(c, unit, matched, n, scores).map((s) => s.length);
        } catch (e) {
          if (e instanceof UsageError) throw new UsageError(`${strategy} copies ${matched}'s per-layer counts: ${e.message}`);
          throw e;
        }
        return sizes.map((size, l) => sampleIndices(rand, size, counts[l] as number));
      }
      const flat = sampleIndices(rand, sizes.reduce((a, b) => a + b, 0), n);
      const out: Selection = sizes.map(() => []);
      let l = 0;
      let offset = 0;
      for (const i of flat) {
        while (i >= offset + (sizes[l] as number)) offset += sizes[l++] as number;
        out[l]?.push(i - offset);
      }
      return out;
    }
  }
}

/** The n units with the largest key(value) over all layers, returned per layer, ascending. */
export function selectGlobal(values: readonly Float64Array[], n: number, key: (v: number) => number): Selection {
  const all: Array<[number, number, number]> = [];
  values.forEach((v, l) => v.forEach((x, i) => all.push([key(x), l, i])));
  all.sort((a, b) => b[0] - a[0] || a[1] - b[1] || a[2] - b[2]);
  const out: Selection = values.map(() => []);
  for (const [, l, i] of all.slice(0, n)) out[l]?.push(i);
  return out.map((s) => s.sort((a, b) => a - b));
}

export function selectionToMasks(c: Pick<BertConfig, 'numLayers'>, unit: Unit, sel: Selection): Masks {
  const m = emptyMasks(c);
  sel.forEach((idx, l) => {
    const entry = m[l];
    if (!entry) return;
    if (unit === 'heads') entry.heads = [...idx];
    else entry.ffn = [...idx];
  });
  return m;
}
