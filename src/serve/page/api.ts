/**
 * The page's side of the JSON API: GETs, and POSTs that stream their job as NDJSON lines (queue
 * place, progress, result) so long work can show progress; aborting the signal closes the
 * connection, which cancels the job on the server.
 */
import type { StreamLine } from './api-types.js';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(message, res.status);
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** Where a job stands, for the progress bar. */
export type JobEvent = { kind: 'queued'; ahead: number } | { kind: 'progress'; done: number; total: number; what: string };

/** POSTs a job and reads its NDJSON stream to the result line; other lines go to `onEvent`. */
export async function postJob<T>(path: string, body: unknown, signal: AbortSignal, onEvent: (e: JobEvent) => void): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await errorOf(res);
  if (res.body === null) throw new ApiError('the answer has no body', res.status);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value !== undefined) buffered += value;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (text.trim() === '') continue;
      const line = JSON.parse(text) as StreamLine;
      if ('result' in line) return line.result as T;
      if ('error' in line) throw new ApiError(line.error, line.status);
      if ('queued' in line) onEvent({ kind: 'queued', ahead: line.queued });
      else onEvent({ kind: 'progress', ...line.progress });
    }
    if (done) throw new ApiError('the server closed the answer before its result', 0);
  }
}
