/**
 * A sweep on disk: JSONL, a header line, then one line per finished cell, appended the moment the
 * cell is evaluated (the attribution journal's style, jobs/records.ts). A kill loses only
 * the cell in flight; a torn last line is cut off on resume; a rerun skips the cells already in
 * the file. Rows hold no times or paths that vary between runs, so a resumed sweep writes the
 * same bytes as an uninterrupted one. One parser reads the file for a resume (readSweep) and,
 * without changing it, for the report (readSweepLines, used by report/inputs.ts).
 *
 * Version 2 (the paired tests): the header lists the evaluated `qids` and each row carries its
 * per-query values (`per_query`, in `qids` order) so that the tests can be recomputed from the file
 * alone, and random controls name the strategy they are matched to (`matched_to`). Every version 1
 * field is kept with its name and meaning. A version 1 file is still read by the report but not
 * resumed (its rows cannot be tested), with a message saying so.
 */
import { CelensError } from '../errors.js';
import { journalLines, JournalWriter, resumeJournal } from '../formats/journal.js';
import type { JournalLine, TornLine } from '../formats/journal.js';
import { isJsonObject, parseJson } from '../formats/json.js';

/** The journal version this celens writes and resumes. */
export const SWEEP_VERSION = 2;

export interface SweepHeader {
  celens: 'prune';
  version: typeof SWEEP_VERSION;
  model: string;
  collection: string;
  queries: number;
  pairs: number;
  /** Everything that changes the numbers; a resume must match it exactly. */
  options: Record<string, unknown>;
  /** The evaluated queries (judged, with candidates), strcmp order: the order of every row's `per_query`. */
  qids: string[];
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
  /** Random controls only: the strategy whose per-layer counts the draw copies, null for a global draw. */
  matched_to?: string | null;
  counts_per_layer: number[];
  metrics: Record<string, number>;
  /** Mean over pairs of |score − unpruned score|; null where there are no model scores. */
  mean_abs_delta: number | null;
  /** Queries whose top 10 is decided by tied scores (trec_eval breaks them by docno). */
  ties_top10: number;
  /** measure → its value on each query of the header's `qids`, in that order (every row but random-ranking). */
  per_query?: Record<string, number[]>;
}

/** The row with its keys in the documented order (so every line of the file reads alike). */
export function orderRow(r: CellRow): CellRow {
  const { cell, strategy, unit, ablation, budget, n, seed, matched_to, counts_per_layer, metrics, mean_abs_delta, ties_top10, per_query } = r;
  return {
    cell, strategy, unit, ablation, budget, n, ...(seed !== undefined && { seed }), ...(matched_to !== undefined && { matched_to }),
    counts_per_layer, metrics, mean_abs_delta, ties_top10, ...(per_query !== undefined && { per_query }),
  };
}

/** A sweep as written: its header and each row (a JSON object), with their line numbers. */
export interface SweepLines {
  header: Record<string, unknown>;
  rows: Array<{ line: number; row: Record<string, unknown> }>;
}

/**
 * Header `{"celens":"prune",…}`, then one JSON object per line. `advice` ends the message about a
 * wrong header; `hint` the message about a bad line (a resume can start over, a report cannot).
 */
function parseSweepLines(file: string, [first, ...rest]: readonly [JournalLine, ...JournalLine[]], advice: string, hint?: string): SweepLines {
  const object = (l: JournalLine): Record<string, unknown> => {
    const v = parseJson(l.text, file, { line: l.line, hint });
    if (!isJsonObject(v)) throw new CelensError(`expected a JSON object${hint === undefined ? '' : ` (${hint})`}`, { file, line: l.line });
    return v;
  };
  const header = parseJson(first.text, file, { line: first.line, hint });
  if (!isJsonObject(header) || header.celens !== 'prune') throw new CelensError(`not a celens prune sweep (${advice})`, { file, line: first.line });
  return { header, rows: rest.map((l) => ({ line: l.line, row: object(l) })) };
}

/**
 * Reads a sweep without changing it (a report may read one that is still running): a torn last
 * line is left out and told to `onTorn`. A missing file is an error, an empty one too.
 */
export async function readSweepLines(file: string, onTorn?: (t: TornLine) => void): Promise<SweepLines> {
  const lines: JournalLine[] = [];
  for await (const l of journalLines(file, onTorn)) lines.push(l);
  if (lines.length === 0) throw new CelensError('empty file: no sweep header', { file });
  return parseSweepLines(file, lines as [JournalLine, ...JournalLine[]], 'its first line is no {"celens":"prune",…} header');
}

/** Finished cells found at `file` to resume (none when it does not exist); a torn last line is cut off. */
export async function readSweep(file: string): Promise<{ header: SweepHeader; rows: CellRow[] } | undefined> {
  const lines = await resumeJournal(file);
  if (lines === undefined) return undefined;
  const hint = 'delete the file to start over';
  const { header, rows } = parseSweepLines(file, lines as [JournalLine, ...JournalLine[]], 'delete it or choose another --out', hint);
  for (const { line, row } of rows) if (typeof row.cell !== 'string') throw new CelensError('a sweep row needs a "cell" name', { file, line });
  return { header: header as unknown as SweepHeader, rows: rows.map((r) => r.row as unknown as CellRow) };
}

/** Appends rows; the header is written when the file is new. */
export class SweepJournal {
  private constructor(private readonly w: JournalWriter | undefined) {}

  /** `file` undefined keeps nothing on disk. Throws when a file with other settings is there. */
  static async open(file: string | undefined, header: SweepHeader): Promise<{ journal: SweepJournal; done: Map<string, CellRow> }> {
    if (file === undefined) return { journal: new SweepJournal(undefined), done: new Map() };
    const found = await readSweep(file);
    if (found && found.header.version !== SWEEP_VERSION) {
      throw new CelensError(
        `a sweep of journal version ${JSON.stringify(found.header.version)} is here, written before prune's paired tests: its rows lack the per-query values the tests need, so it cannot be resumed (celens report still reads it); delete it or choose another --out`,
        { file },
      );
    }
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
