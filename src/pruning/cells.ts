/**
 * The plan of a sweep: one cell per (budget, strategy, seed), in that order (seeds for the random
 * controls only), each with the masks it applies and the first stage point they touch. The order
 * is fixed by the options alone, so a resumed sweep appends the missing cells exactly where an
 * uninterrupted one would.
 */
import { UsageError } from '../errors.js';
import type { Masks } from '../model/masks.js';
import type { BertConfig } from '../weights/config.js';
import { startPoint } from './prefix.js';
import type { Unit } from './ranking.js';
import { budgetCount, CONTROL_OF, isRandomStrategy, matchedTo, parseBudget, selectionToMasks, selectUnits, totalUnits } from './select.js';
import type { RankedStrategy, Strategy, StrategyScores } from './select.js';

export interface Cell {
  /** `top@1%`, `random@1%#3`: the row's key in the journal. */
  cell: string;
  strategy: Strategy;
  budgetLabel: string;
  /** Share of all units removed. */
  budget: number;
  n: number;
  seed?: number;
  /** A random control's ranked strategy (whose per-layer counts it copies), null for a global draw. */
  matchedTo?: RankedStrategy | null;
  counts: number[];
  masks: Masks;
  start: number;
}

export interface CellPlanOptions {
  unit: Unit;
  strategies: readonly Strategy[];
  budgets: readonly string[];
  /** Seeds 1…seeds for each random control. */
  seeds: number;
}

/**
 * The strategies a sweep runs when none are named: those the given scores allow, then the random
 * control of each (`random` first: top's, or a global draw without a ranking), in the order sweeps
 * ran them before the matched controls existed.
 */
export function defaultStrategies(unit: Unit, scores: StrategyScores): Strategy[] {
  const ranked: RankedStrategy[] = [];
  if (scores.ranking) ranked.push('top', 'bottom');
  if (scores.nonrel) ranked.push('nonrel');
  const out: Strategy[] = [...ranked, 'random'];
  if (unit === 'neurons') {
    out.push('magnitude');
    ranked.push('magnitude');
  }
  for (const s of ranked) if (s !== 'top') out.push(CONTROL_OF[s]);
  return out;
}

export function planCells(c: BertConfig, o: CellPlanOptions, scores: StrategyScores): Cell[] {
  if (!Number.isInteger(o.seeds) || o.seeds < 1) throw new UsageError(`seeds must be a positive integer, found ${o.seeds}`);
  if (o.budgets.length === 0) throw new UsageError('no budgets given');
  const dup = o.strategies.find((s, i) => o.strategies.indexOf(s) !== i);
  if (dup !== undefined) throw new UsageError(`strategy ${dup} given twice`);
  const total = totalUnits(c, o.unit);
  const cells: Cell[] = [];
  const labels = new Set<string>();
  for (const label of o.budgets) {
    const b = parseBudget(label);
    if (labels.has(b.label)) throw new UsageError(`budget ${b.label} given twice`);
    labels.add(b.label);
    const n = budgetCount(b, total);
    for (const strategy of o.strategies) {
      const random = isRandomStrategy(strategy);
      const seeds = random ? Array.from({ length: o.seeds }, (_v, i) => i + 1) : [undefined];
      for (const seed of seeds) {
        const sel = selectUnits(c, o.unit, strategy, n, scores, seed);
        const masks = selectionToMasks(c, o.unit, sel);
        cells.push({
          cell: `${strategy}@${b.label}${seed === undefined ? '' : `#${seed}`}`,
          strategy,
          budgetLabel: b.label,
          budget: b.fraction ?? n / total,
          n,
          ...(seed !== undefined && { seed }),
          ...(random && { matchedTo: matchedTo(strategy, scores) }),
          counts: sel.map((s) => s.length),
          masks,
          start: startPoint(masks, c.numLayers),
        });
      }
    }
  }
  return cells;
}
