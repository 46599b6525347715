/**
 * Errors from talking to the Hugging Face Hub, in the CelensError family: one line, starting with
 * the place (`org/name/model.safetensors: …`). @huggingface/hub throws its own `HubApiError`
 * (status, url, request id) and undici throws `TypeError: fetch failed` with the reason in `cause`;
 * `hubError` turns both into one readable line.
 */
import { HubApiError, InvalidApiResponseFormatError } from '@huggingface/hub';
import { CelensError } from '../../errors.js';
import type { ErrorPlace } from '../../errors.js';

export interface HubPlace extends ErrorPlace {
  url?: string;
  status?: number;
}

/** A download that failed, a hub answer we cannot use, or a hub id that is not in the cache. */
export class HubError extends CelensError {
  readonly url?: string;
  readonly status?: number;

  constructor(message: string, place: HubPlace = {}) {
    const { url, status, ...rest } = place;
    super(message, rest);
    if (url !== undefined) this.url = url;
    if (status !== undefined) this.status = status;
  }
}

/** The URL without its query (signed CDN URLs and `?expand=…` lists make long, useless lines). */
export function shortUrl(url: string): string {
  return url.split('?')[0] ?? url;
}

/** The innermost useful reason of a network error: `connect ECONNREFUSED 127.0.0.1:9`, `other side closed`. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== undefined && e !== null; depth++) {
    // Duck-typed: undici's errors may come from another realm (vm contexts), where instanceof fails.
    if (typeof e === 'object' && 'message' in e) {
      const { name, message, code, cause } = e as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
      const text = name === 'TimeoutError' ? 'timed out' : String(message);
      if (text && !parts.includes(text)) parts.push(typeof code === 'string' && !text.includes(code) ? `${text} [${code}]` : text);
      e = cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return parts.join(': ').replace(/\s+/g, ' ').trim() || 'unknown error';
}

/**
 * What to add to a 401/403 from the Hub. Without a token the model is likely gated or private
 * (the Hub also answers 401 for a repository that does not exist); with one, the token is wrong
 * (401) or its account has not been granted access (403).
 */
function accessHint(status: number, authenticated: boolean): string {
  if (status !== 401 && status !== 403) return '';
  if (!authenticated) return '; the model may be gated or private (or not exist): set HF_TOKEN or pass --token';
  return status === 401
    ? '; the token was refused: check HF_TOKEN, --token or the token file'
    : '; the token has no access to this model: accept its terms on its Hub page with the token\'s account, or use another token';
}

/**
 * Any error from a hub request, as a HubError placed at `file` (CelensErrors pass through).
 * `authenticated`: whether a token was sent, for the hint a 401/403 gets.
 */
export function hubError(file: string, err: unknown, authenticated = false): CelensError {
  if (err instanceof CelensError) return err;
  if (err instanceof HubApiError) {
    const data = err.data as { error?: unknown; message?: unknown } | undefined;
    const detail = typeof data?.error === 'string' ? data.error : typeof data?.message === 'string' ? data.message : '';
    const why = detail.replace(/\s+/g, ' ').trim().slice(0, 200);
    const hint = accessHint(err.statusCode, authenticated);
    return new HubError(`the hub answered ${err.statusCode} to ${shortUrl(err.url)}${why ? ` (${why})` : ''}${hint}`, {
      file,
      url: err.url,
      status: err.statusCode,
    });
  }
  if (err instanceof InvalidApiResponseFormatError) return new HubError(`unexpected answer from the hub (${err.message})`, { file });
  return new HubError(`cannot reach the hub (${describeError(err)})`, { file });
}
