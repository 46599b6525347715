/**
 * Reading and writing whole files, with errors that name the file. Every final output celens
 * writes (safetensors, runs, masks, rankings, means, merged journals, reports, hub refs) goes
 * through writeFileAtomic, so a kill, a full disk or a concurrent reader never meets half a file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CelensError } from '../errors.js';
import type { ErrorPlace } from '../errors.js';

/** A CelensError subclass, so each caller keeps its own (ConfigError, SafetensorsError, …). */
export type CelensErrorClass = new (message: string, place?: ErrorPlace) => CelensError;

/** How a file is named in a read error (`cannot read config (ENOENT)`) and which error class says it. */
export interface ReadOptions {
  /** What the file is, e.g. 'config', 'mask'; left out: `cannot read (ENOENT)`. */
  what?: string;
  /** @default CelensError */
  error?: CelensErrorClass;
}

/** The short reason of a failed file operation: its errno code (ENOENT, EISDIR…) or the message. */
export function errnoCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** A file's text (UTF-8); any failure is `cannot read[ what] (CODE)` naming the file. */
export async function readText(file: string, o: ReadOptions = {}): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const Err = o.error ?? CelensError;
    throw new Err(`cannot read${o.what ? ` ${o.what}` : ''} (${errnoCode(e)})`, { file });
  }
}

/** A file's text, or undefined when it does not exist (a cache, a journal not started yet). */
export async function readTextIfExists(file: string, o: ReadOptions = {}): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const Err = o.error ?? CelensError;
    throw new Err(`cannot read${o.what ? ` ${o.what}` : ''} (${errnoCode(e)})`, { file });
  }
}

/** Writes the content of an atomic write into the open temporary (for outputs too large to hold as one buffer). */
export type FillFile = (fh: FileHandle) => Promise<void>;

/**
 * Replaces `file` whole or not at all: the bytes go to a temporary in the same folder (same file
 * system, so the rename is atomic), are fsynced, and only then renamed over `file`. The temporary
 * is `<file>.tmp-<pid>-<random>`: two writers of one file, in one process or several, never share
 * it. On any failure it is removed and the error names `file`: `cannot write (CODE)`, except a
 * CelensError thrown by `fill` itself, which is passed on as it is.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array | FillFile, o: { error?: CelensErrorClass } = {}): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fh: FileHandle | undefined;
  let opened = false;
  try {
    fh = await open(tmp, 'wx');
    opened = true;
    if (typeof data === 'function') await data(fh);
    else await fh.writeFile(data);
    // Synced before the rename: after a crash the name holds the old bytes or all the new ones.
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, file);
  } catch (e) {
    await fh?.close().catch(() => undefined);
    if (opened) await unlink(tmp).catch(() => undefined);
    if (e instanceof CelensError) throw e;
    const Err = o.error ?? CelensError;
    throw new Err(`cannot write (${errnoCode(e)})`, { file });
  }
}
