/**
 * Reads attribution journals (see jobs/records.ts) without changing them: analyses, reports and
 * merges read files that a job may still be appending to, so a torn last line is left out with a
 * note (formats/journal.ts states the rule), never cut. Every line is checked as a resume checks
 * it (checkHeader, checkRecord): a malformed one is an error naming file:line. Lines stream with
 * their byte offsets, so a merge can copy records byte for byte without holding a whole
 * collection's attributions in memory.
 */
import { CelensError } from '../errors.js';
import { journalLines, tornNote } from '../formats/journal.js';
import type { JournalLine, TornLine } from '../formats/journal.js';
import { parseJson } from '../formats/json.js';
import { checkHeader, checkRecord } from '../jobs/records.js';
import type { JournalHeader, PairRecord } from '../jobs/records.js';

export interface RecordLine extends JournalLine {
  record: PairRecord;
}

export interface AttributionReader {
  header: JournalHeader;
  /** The records in file order; iterate once. */
  records: AsyncGenerator<RecordLine>;
}

export interface OpenAttributionOptions {
  /** Told about a torn last line, which is left out (default: the note goes to `warn`). */
  onTorn?: (t: TornLine) => void;
  /** Gets the note about a torn last line when no `onTorn` is given. */
  warn?: (message: string) => void;
}

/**
 * Opens an attribution JSONL: its header now, its records as a stream. The records pass reads the
 * file again from the start, so a reader that never iterates them holds no open file.
 */
export async function openAttribution(file: string, o: OpenAttributionOptions = {}): Promise<AttributionReader> {
  if (!file.endsWith('.jsonl')) throw new CelensError('expected an attribution journal (.jsonl, as written by celens attribute --out X.jsonl)', { file });
  let torn = false;
  const head = journalLines(file, () => (torn = true));
  const first = await head.next();
  await head.return(undefined);
  if (first.done) {
    throw new CelensError(torn ? 'no complete header line yet (the run writing this file was stopped mid-line or is still running)' : 'empty file: no attribution header', { file });
  }
  const { text, line } = first.value;
  const header = checkHeader(parseJson(text, file, { line }), file, line, 'its first line is no {"celens":"attribute",…} header');
  return { header, records: records(file, header, o.onTorn ?? ((t) => o.warn?.(tornNote(file, t)))) };
}

async function* records(file: string, header: JournalHeader, onTorn: (t: TornLine) => void): AsyncGenerator<RecordLine> {
  let first = true;
  for await (const l of journalLines(file, onTorn)) {
    if (first) {
      first = false; // the header, checked by openAttribution
      continue;
    }
    yield { ...l, record: checkRecord(parseJson(l.text, file, { line: l.line }), header.count, file, l.line) };
  }
}
