/**
 * Append-only JSONL journals (attribution records, sweep cells, rerank scores): a header line, then
 * one line per finished piece of work, each written whole and flushed before the next. A kill loses
 * at most the line being written, which is left without its '\n': a torn last line.
 *
 * The torn-line rule, in one place:
 *   - the writer about to resume a journal cuts the torn line off the file (resumeJournal), so its
 *     next append starts on a line boundary and the finished file has the bytes of an
 *     uninterrupted run;
 *   - every other reader (analysis, merge, report) must leave the file as it is (the job may still
 *     be running): it skips the torn line and says so through `onTorn` (journalLines).
 * Blank lines (JSON whitespace only) are skipped by both; line numbers count them, so errors name
 * the line an editor shows.
 */
import { createReadStream } from 'node:fs';
import { open, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CelensError } from '../errors.js';
import { errnoCode } from './files.js';

export interface JournalLine {
  text: string;
  /** 1-based line number in the file. */
  line: number;
  /** Byte offset of the line's first byte, and its length without the newline. */
  offset: number;
  bytes: number;
}

/** The unfinished last line of a journal: where it starts, and how many bytes of it are there. */
export interface TornLine {
  line: number;
  offset: number;
  bytes: number;
}

/** What a reader that leaves the file alone says about a torn last line it skipped. */
export function tornNote(file: string, t: TornLine): string {
  return `${file}:${t.line}: torn last line (no newline, ${t.bytes} bytes) left out: the run writing this file was stopped mid-line or is still running`;
}

/**
 * The complete, non-blank lines of a journal, streamed with their byte offsets (so a merge can
 * copy records byte for byte without holding a file in memory). The file is never changed: a torn
 * last line is reported to `onTorn` and not yielded. A missing file is `cannot read (ENOENT)`.
 * Nothing is opened before the first `next()`.
 */
export function journalLines(file: string, onTorn?: (t: TornLine) => void): AsyncGenerator<JournalLine> {
  return linesOf(file, { ...(onTorn && { onTorn }) });
}

/**
 * The complete lines of a journal a writer is about to resume, or undefined when the file does not
 * exist or holds none. A torn last line is cut off the file itself, so appending resumes cleanly.
 */
export async function resumeJournal(file: string): Promise<JournalLine[] | undefined> {
  const lines: JournalLine[] = [];
  let torn: TornLine | undefined;
  let missing = false;
  const found = linesOf(file, { onTorn: (t) => (torn = t), onMissing: () => (missing = true) });
  for await (const l of found) lines.push(l);
  if (missing) return undefined;
  if (torn) {
    try {
      await truncate(file, torn.offset);
    } catch (e) {
      throw new CelensError(`cannot cut the torn last line (${errnoCode(e)})`, { file, line: torn.line });
    }
  }
  return lines.length === 0 ? undefined : lines;
}

const BLANK = /^[ \t\r]*$/;

/** Splits the bytes at '\n' (never inside a UTF-8 sequence), so offsets are exact whatever the text holds. */
async function* linesOf(file: string, o: { onTorn?: (t: TornLine) => void; onMissing?: () => void }): AsyncGenerator<JournalLine> {
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
        const text = piece.toString('utf8');
        if (!BLANK.test(text)) yield { text, line, offset, bytes: piece.length };
        offset += piece.length + 1;
        from = nl + 1;
      }
      if (from < buf.length) pending.push(buf.subarray(from));
    }
  } catch (e) {
    if (e instanceof CelensError) throw e;
    if (o.onMissing && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      o.onMissing();
      return;
    }
    throw new CelensError(`cannot read (${errnoCode(e)})`, { file });
  } finally {
    // Also when the reader stops early: the file is closed at once, not when collected.
    stream.destroy();
  }
  const bytes = pending.reduce((n, b) => n + b.length, 0);
  if (bytes > 0) o.onTorn?.({ line: line + 1, offset, bytes });
}

/** Appends records line by line; each line is one write, flushed to the OS before the next. */
export class JournalWriter {
  private constructor(
    private readonly fh: FileHandle,
    private readonly file: string,
  ) {}

  /** Opens for appending; writes `header` first when given (a new or empty file), undefined when resuming. */
  static async open(file: string, header: unknown): Promise<JournalWriter> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'a');
    } catch (e) {
      throw new CelensError(`cannot write (${errnoCode(e)})`, { file });
    }
    const w = new JournalWriter(fh, file);
    if (header) {
      // Written before any work: a full disk is reported here, not after the first pair.
      await w.line(header).catch(async (e: unknown) => {
        await fh.close().catch(() => undefined);
        throw e;
      });
    }
    return w;
  }

  /** Appends one record as a JSON line. */
  async line(obj: unknown): Promise<void> {
    await this.lines(`${JSON.stringify(obj)}\n`);
  }

  /** Appends text that is whole lines already (each ending in '\n'), in one write. */
  async lines(text: string): Promise<void> {
    try {
      await this.fh.write(text);
    } catch (e) {
      // A full disk (ENOSPC) or a lost device: the lines before this one are whole and resumable.
      throw new CelensError(`cannot write (${errnoCode(e)}); the records before this one are kept: make room and rerun to resume`, { file: this.file });
    }
  }

  async close(): Promise<void> {
    await this.fh.sync().catch(() => undefined);
    await this.fh.close();
  }
}
