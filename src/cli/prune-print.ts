/**
 * How `prune` prints its paired tests (pruning/summary.ts), after the sweep table: per measure, each
 * cell's mean (random controls: ± sd and the 95% interval of the mean over seeds) and one line per
 * test — against `unpruned`, then against its random control — with the difference and the
 * p-values, raw then adjusted, as `compare` prints them.
 */
import { PAIRED_TESTS } from '../ir/compare.js';
import type { SweepSummary } from '../pruning/summary.js';
import { alignColumns } from '../pruning/table.js';
import { formatDelta, pCells, pHeaders } from './compare-print.js';

/** The tests of a sweep, one block per measure (empty when nothing was tested). */
export function formatSweepTests(s: SweepSummary): string {
  const cells = s.cells.filter((c) => c.budget !== null);
  if (s.tests.length === 0) return '';
  const seedsOf = new Map(s.cells.map((c) => [c.cell, c.seeds.length]));
  const label = (cell: string): string => ((seedsOf.get(cell) ?? 0) > 0 ? `${cell} (${seedsOf.get(cell)} seeds)` : cell);
  const counts = { unpruned: s.tests.filter((t) => t.against === 'unpruned').length, control: s.tests.filter((t) => t.against !== 'unpruned').length };
  const adjusted = s.correction === 'none' ? 'p-values not adjusted' : `p-${s.correction} over the ${counts.unpruned} tests against unpruned and apart over the ${counts.control} against a control, each test on its own`;
  let out = '';
  for (const m of s.measures) {
    const table: string[][] = [['cell', 'mean', 'sd', '95% CI', 'against', 'delta', ...pHeaders(PAIRED_TESTS, s.correction)]];
    for (const c of cells) {
      const stat = c.metrics[m];
      const tests = s.tests.filter((t) => t.cell === c.cell && t.measure === m);
      if (!stat || tests.length === 0) continue;
      const head = [label(c.cell), stat.mean.toFixed(4), stat.sd === null ? '' : stat.sd.toFixed(4), stat.ci95 === null ? '' : `${stat.ci95[0].toFixed(4)}–${stat.ci95[1].toFixed(4)}`];
      tests.forEach((t, i) => {
        table.push([...(i === 0 ? head : ['', '', '', '']), label(t.against), formatDelta(t.delta), ...pCells(t, PAIRED_TESTS, s.correction)]);
      });
    }
    out += `\npaired tests on ${m} over ${s.queries} queries (cell − reference; two-sided t and randomization tests, ${s.trials} sign flips from seed ${s.seed} or all of them; controls by their per-query mean over seeds; ${adjusted})\n`;
    out += alignColumns(table);
  }
  return out;
}
