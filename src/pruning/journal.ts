/**
 * A sweep on disk: JSONL, a header line, then one line per finished cell, appended the moment the
 * cell is evaluated (the attribution journal's style, jobs/records.ts). A kill loses only
 * the cell in flight; a torn last line is cut off on resume; a rerun skips the cells already in
 * the file. Rows hold no times or paths that vary between runs, so a resumed sweep writes the
 * same bytes as an uninterrupted one.
 */
import { CelensError } from '../errors.js';
import { readJournalLines } from '../util/jsonl.js';
import { JournalWriter } from '../util/jsonl.js';

export interface SweepHeader {
  celens: 'prune';
  version: 1;
  model: string;
  collection: string;
  queries: number;
  pairs: number;
  /** Everything that changes the numbers; a resume must match it exactly. */
  options: Record<string, unknown>;
}

/**
 * One finished cell. Baseline rows have strategy `first-stage`, `random-ranking` (the mean of
 * seeded shuffles of the candidates) or `unpruned`, and no budget.
 */
export interface CellRow {
  cell: string;
  strategy: string;
  unit: string;
  ablation: string | null;
  /** Share of all units removed, and their number. */
  budget: number | null;
  n: number;
  seed?: number;
  counts_per_layer: number[];
  metrics: Record<string, number>;
  /** Mean over pairs of |score − unpruned score|; null where there are no model scores. */
  mean_abs_delta: number | null;
  /** Queries whose top 10 is decided by tied scores (trec_eval breaks them by docno). */
  ties_top10: number;
}

/** The row with its keys in the documented order (so every line of the file reads alike). */
export function orderRow(r: CellRow): CellRow {
  const { cell, strategy, unit, ablation, budget, n, seed, counts_per_layer, metrics, mean_abs_delta, ties_top10 } = r;
  return { cell, strategy, unit, ablation, budget, n, ...(seed !== undefined && { seed }), counts_per_layer, metrics, mean_abs_delta, ties_top10 };
}

/** Finished cells found at `file` (none when it does not exist); a torn last line is removed. */
export async function readSweep(file: string): Promise<{ header: SweepHeader; rows: CellRow[] } | undefined> {
  const lines = await readJournalLines(file);
  if (lines === undefined) return undefined;
  const parse = (l: string, n: number): Record<string, unknown> => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      throw new CelensError('not a line of a celens prune sweep (delete the file to start over)', { file, line: n });
    }
  };
  const header = parse(lines[0] as string, 1);
  if (header.celens !== 'prune') throw new CelensError('not a celens prune sweep (delete it or choose another --out)', { file, line: 1 });
  const rows = lines.slice(1).map((l, i) => {
    const r = parse(l, i + 2);
    if (typeof r.cell !== 'string') throw new CelensError('a sweep row needs a "cell" name', { file, line: i + 2 });
    return r as unknown as CellRow;
  });
  return { header: header as unknown as SweepHeader, rows };
}

/** Appends rows; the header is written when the file is new. */
export class SweepJournal {
  private constructor(private readonly w: JournalWriter | undefined) {}

  /** `file` undefined keeps nothing on disk. Throws when a file with other settings is there. */
  static async open(file: string | undefined, header: SweepHeader): Promise<{ journal: SweepJournal; done: Map<string, CellRow> }> {
    if (file === undefined) return { journal: new SweepJournal(undefined), done: new Map() };
    const found = await readSweep(file);
    if (found) {
      const a = JSON.stringify({ ...found.header, model: undefined });
      const b = JSON.stringify({ ...header, model: undefined });
      if (a !== b) throw new CelensError(`a sweep with other settings is here; delete it or choose another --out (found ${JSON.stringify(found.header.options)})`, { file });
    }
    const w = await JournalWriter.open(file, undefined);
    if (!found) await w.line(header);
    const journal = new SweepJournal(w);
    return { journal, done: new Map((found?.rows ?? []).map((r) => [r.cell, r])) };
  }

  async write(row: CellRow): Promise<void> {
    await this.w?.line(orderRow(row));
  }

  async close(): Promise<void> {
    await this.w?.close();
  }
}
