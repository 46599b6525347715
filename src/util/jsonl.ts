/** Append-only JSONL journals (attribution records, sweep cells): the shared reading rules. */
import { readFile, truncate } from 'node:fs/promises';
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
