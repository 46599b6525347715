/**
 * A `fetch` for the Hub's small API answers (model info, file listing, resolve probes): each
 * request gets a timeout, and network errors or 429/5xx answers are retried a bounded number of
 * times with a doubling pause. @huggingface/hub takes it through its `fetch` parameter.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface BoundedFetchOptions {
  /** The underlying fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Limit for one request, answer body included, unless the caller passes its own signal. @default 30_000 */
  timeoutMs?: number;
  /** Tries after the first. @default 3 */
  retries?: number;
  /** Pause before the first retry, doubled for each next one. @default 1_000 */
  retryDelayMs?: number;
}

export const BOUNDED_FETCH_DEFAULTS = { timeoutMs: 30_000, retries: 3, retryDelayMs: 1_000 } as const;

/** Answers worth asking again: rate limits and server or gateway trouble. */
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

export function boundedFetch(opts: BoundedFetchOptions = {}): typeof fetch {
  const base = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? BOUNDED_FETCH_DEFAULTS.timeoutMs;
  const retries = opts.retries ?? BOUNDED_FETCH_DEFAULTS.retries;
  const delay = opts.retryDelayMs ?? BOUNDED_FETCH_DEFAULTS.retryDelayMs;
  return async (input, init) => {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(delay * 2 ** (attempt - 1));
      const signal = init?.signal ?? AbortSignal.timeout(timeoutMs);
      try {
        const resp = await base(input, { ...init, signal });
        if (!RETRY_STATUS.has(resp.status) || attempt >= retries) return resp;
        await resp.body?.cancel().catch(() => undefined);
      } catch (err) {
        if (attempt >= retries || init?.signal?.aborted) throw err;
      }
    }
  };
}
