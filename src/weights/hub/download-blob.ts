/**
 * Resumable download of one file into the cache, as huggingface_hub's `http_get` does it: bytes
 * go to `<blob>.incomplete`; a later try (in this call or the next run) asks for the rest with
 * `Range: bytes=<have>-` and appends. The size is checked against Content-Length and the listing,
 * the content against its sha256 / git oid, and only then is the file renamed to its blob name.
 */
import { open, rename, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CelensError } from '../../errors.js';
import { describeError, HubError, shortUrl } from './errors.js';
import { fileSize } from './cache-layout.js';
import { hashFile } from './verify.js';
import type { ExpectedHash } from './verify.js';

export interface BlobDownloadParams {
  /** Where the bytes are (a resolve URL, or the CDN URL it redirects to). */
  url: string;
  /** The blob's final path; bytes are written to `${dest}.incomplete` until they are verified. */
  dest: string;
  /** Names the file in messages, e.g. `org/name/model.safetensors`. */
  file: string;
  /** Size in bytes, from the Hub's listing. */
  size: number;
  /** Hash of the content; none: the size is all that is checked. */
  expected?: ExpectedHash | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Tries after the first, each resuming where the last stopped. @default 3 */
  retries?: number;
  /** Pause before the first retry, doubled for each next one. @default 1_000 */
  retryDelayMs?: number;
  /** A request that delivers no bytes for this long is dropped (and retried). @default 60_000 */
  idleTimeoutMs?: number;
  /** Bytes of this file on disk so far, and its size. */
  onProgress?: (done: number, total: number) => void;
}

export interface BlobDownloadResult {
  /** Bytes already in `.incomplete` when the call started (0: a fresh download). */
  resumedFrom: number;
  /** GET requests made. */
  requests: number;
}

export const BLOB_DOWNLOAD_DEFAULTS = { retries: 3, retryDelayMs: 1_000, idleTimeoutMs: 60_000 } as const;

export async function downloadBlob(p: BlobDownloadParams): Promise<BlobDownloadResult> {
  const incomplete = `${p.dest}.incomplete`;
  const retries = p.retries ?? BLOB_DOWNLOAD_DEFAULTS.retries;
  const delay = p.retryDelayMs ?? BLOB_DOWNLOAD_DEFAULTS.retryDelayMs;
  const resumedFrom = Math.max(0, await fileSize(incomplete));
  let requests = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    let have = await fileSize(incomplete);
    if (have > p.size) {
      await rm(incomplete, { force: true });
      have = -1;
    }
    if (have === p.size) break;
    if (attempt > 0) await sleep(delay * 2 ** (attempt - 1));
    requests++;
    try {
      await fetchRest(p, incomplete, Math.max(0, have));
      break;
    } catch (err) {
      if (err instanceof CelensError) throw err;
      lastError = err;
    }
  }
  const got = Math.max(0, await fileSize(incomplete));
  if (got !== p.size) {
    throw new HubError(
      `download stopped at ${got} of ${p.size} bytes after ${requests} ${requests === 1 ? 'try' : 'tries'} (${describeError(lastError)}); run the command again to resume`,
      { file: p.file, url: p.url },
    );
  }
  if (p.expected) {
    const found = await hashFile(incomplete, p.expected.kind, p.size);
    if (found !== p.expected.hex) {
      await rm(incomplete, { force: true });
      throw new HubError(`downloaded bytes do not match the hub's ${p.expected.kind}; removed them, run the command again`, {
        file: p.file,
        expected: p.expected.hex,
        found,
      });
    }
  }
  await rename(incomplete, p.dest);
  return { resumedFrom, requests };
}

/** Not worth retrying with the same request: start over from byte 0 on the next try. */
class StartOver extends Error {}

/**
 * One GET for the bytes from `have` on, appended to `incomplete`. Resolves only when the file is
 * complete; network trouble rejects with a plain Error (retried), a wrong answer with a HubError.
 */
async function fetchRest(p: BlobDownloadParams, incomplete: string, have: number): Promise<void> {
  const idleMs = p.idleTimeoutMs ?? BLOB_DOWNLOAD_DEFAULTS.idleTimeoutMs;
  const ctl = new AbortController();
  let timer = setTimeout(() => ctl.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  const stillAlive = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  try {
    const resp = await (p.fetch ?? fetch)(p.url, {
      headers: have > 0 ? { Range: `bytes=${have}-` } : {},
      signal: ctl.signal,
    });
    const offset = await startOffset(p, resp, have, incomplete);
    const fh = await open(incomplete, offset > 0 ? 'a' : 'w');
    let done = offset;
    try {
      if (!resp.body) throw new Error('answer has no body');
      for await (const chunk of resp.body) {
        const bytes = chunk as Uint8Array;
        if (done + bytes.byteLength > p.size) throw new StartOver(`the server sent more than the ${p.size} bytes the hub lists`);
        await fh.write(bytes);
        done += bytes.byteLength;
        stillAlive();
        p.onProgress?.(done, p.size);
      }
    } finally {
      await fh.close();
    }
    if (done !== p.size) throw new Error(`connection closed at byte ${done} of ${p.size}`);
  } catch (err) {
    if (err instanceof StartOver) {
      await rm(incomplete, { force: true });
      throw new Error(err.message);
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Checks the answer's status and lengths; returns where its bytes start in the file. */
async function startOffset(p: BlobDownloadParams, resp: Response, have: number, incomplete: string): Promise<number> {
  const drop = async (): Promise<void> => {
    await resp.body?.cancel().catch(() => undefined);
  };
  let offset: number;
  if (resp.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(resp.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== have || (range[3] !== '*' && Number(range[3]) !== p.size)) {
      await drop();
      throw new StartOver(`asked for bytes ${have}- and got Content-Range ${JSON.stringify(resp.headers.get('content-range'))}`);
    }
    offset = have;
  } else if (resp.status === 200) {
    offset = 0; // the server ignored Range (or we asked for none): the body is the whole file
  } else if (resp.status === 416) {
    await drop();
    throw new StartOver(`the server cannot serve bytes ${have}- of ${incomplete}`);
  } else {
    await drop();
    if (resp.status === 429 || resp.status >= 500) throw new Error(`HTTP ${resp.status}`);
    throw new HubError(`the server answered ${resp.status} to ${shortUrl(resp.url || p.url)}`, { file: p.file, url: p.url, status: resp.status });
  }
  // Content-Length counts the encoded bytes; fetch decodes gzip/br, so only compare identity bodies.
  const length = resp.headers.get('content-length');
  const encoding = resp.headers.get('content-encoding');
  if (length !== null && (encoding === null || encoding === 'identity') && Number(length) !== p.size - offset) {
    await drop();
    throw new HubError(`Content-Length does not match the size the hub lists`, {
      file: p.file,
      url: p.url,
      expected: String(p.size - offset),
      found: length,
    });
  }
  return offset;
}
