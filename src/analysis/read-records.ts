/**
 * Reads attribution journals (see jobs/records.ts) without changing them: `readJournal`
 * cuts a torn last line so a run can resume, but an analysis or a merge must leave its inputs
 * alone and refuse a torn file. Lines stream with their byte offsets, so a merge can copy records
 * byte for byte without holding a whole collection's attributions in memory.
 */
import { createReadStream } from 'node:fs';
import { CelensError } from '../errors.js';
import type { JournalHeader, PairRecord } from '../jobs/records.js';

export interface JsonlLine {
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line's first byte, and its length without the newline. */
  offset: number;
  bytes: number;
}

/** Non-empty lines of a JSONL file; a last line without its newline is a torn write, an error. */
export async function* jsonlLines(file: string): AsyncGenerator<JsonlLine> {
  const pending: Buffer[] = [];
  let offset = 0;
  let line = 0;
  const stream = createReadStream(file);
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      let from = 0;
      for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
        const piece = pending.length > 0 ? Buffer.concat([...pending, buf.subarray(from, nl)]) : buf.subarray(from, nl);
        pending.length = 0;
        line++;
        if (piece.length > 0) yield { text: piece.toString('utf8'), line, offset, bytes: piece.length };
        offset += piece.length + 1;
        from = nl + 1;
      }
      if (from < buf.length) pending.push(buf.subarray(from));
    }
  } catch (e) {
    if (e instanceof CelensError) throw e;
    throw new CelensError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  } finally {
    stream.destroy();
  }
  if (pending.some((b) => b.length > 0)) {
    throw new CelensError('torn last line (no newline): the run that wrote it did not finish; rerun its attribute command to complete it', { file, line: line + 1 });
  }
}

export interface RecordLine extends JsonlLine {
  record: PairRecord;
}

export interface AttributionReader {
  header: JournalHeader;
  /** The records in file order; iterate once. */
  records: AsyncGenerator<RecordLine>;
}

/** Opens an attribution JSONL: its header now, its records as a stream. */
export async function openAttribution(file: string): Promise<AttributionReader> {
  if (!file.endsWith('.jsonl')) throw new CelensError('expected an attribution journal (.jsonl, as written by celens attribute --out X.jsonl)', { file });
  const lines = jsonlLines(file);
  const first = await lines.next();
  if (first.done) throw new CelensError('empty file: no attribution header', { file });
  const header = parseLine(file, first.value) as Partial<JournalHeader> | null;
  if (header?.celens !== 'attribute' || typeof header.count !== 'number' || typeof header.options !== 'object' || header.options === null) {
    await lines.return(undefined);
    throw new CelensError('not a celens attribution file (its first line is no {"celens":"attribute",…} header)', { file, line: first.value.line });
  }
  return { header: header as JournalHeader, records: records(file, lines) };
}

async function* records(file: string, lines: AsyncGenerator<JsonlLine>): AsyncGenerator<RecordLine> {
  for await (const l of lines) yield { ...l, record: checkRecord(file, l.line, parseLine(file, l)) };
}

function parseLine(file: string, l: JsonlLine): unknown {
  try {
    return JSON.parse(l.text) as unknown;
  } catch {
    throw new CelensError('not a JSON line (a damaged or hand-edited file?)', { file, line: l.line });
  }
}

/** Checks the fields every reader relies on; values inside the arrays are trusted (we wrote them). */
function checkRecord(file: string, line: number, raw: unknown): PairRecord {
  const r = raw as Partial<PairRecord> | null;
  const bad = (what: string): never => {
    throw new CelensError(`not an attribution record: ${what}`, { file, line });
  };
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('not a JSON object');
  if (!Number.isInteger(r.index) || (r.index as number) < 0) bad('no "index"');
  if (!Number.isInteger(r.length) || (r.length as number) < 1) bad('no "length"');
  if (typeof r.sum !== 'object' || r.sum === null) bad('no "sum"');
  if (typeof r.segments_sum !== 'object' || r.segments_sum === null) bad('no "segments_sum"');
  if (typeof r.target !== 'object' || r.target === null) bad('no "target"');
  return r as PairRecord;
}
