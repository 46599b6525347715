/** Append-only JSONL journals (attribution records, sweep cells): the shared reading and writing rules. */
import { open, readFile, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CelensError } from '../errors.js';

/** A file's text, or undefined when it does not exist; other read errors name the file. */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CelensError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}

/**
 * The complete lines of a journal, or undefined when the file does not exist or holds none.
 * A torn last line (a kill mid-write) is cut off the file itself, so appending resumes cleanly.
 */
export async function readJournalLines(file: string): Promise<string[] | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) await truncate(file, Buffer.byteLength(text.slice(0, complete)));
  const lines = text.slice(0, complete).split('\n').filter((l) => l !== '');
  return lines.length === 0 ? undefined : lines;
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
      throw new CelensError(`cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
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

  async line(obj: unknown): Promise<void> {
    try {
      await this.fh.write(`${JSON.stringify(obj)}\n`);
    } catch (e) {
      // A full disk (ENOSPC) or a lost device: the lines before this one are whole and resumable.
      throw new CelensError(`cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the records before this one are kept: make room and rerun to resume`, { file: this.file });
    }
  }

  async close(): Promise<void> {
    await this.fh.sync().catch(() => undefined);
    await this.fh.close();
  }
}
