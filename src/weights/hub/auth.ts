/**
 * Access tokens for gated and private models, found and sent as huggingface_hub does
 * (utils/_auth.py `get_token`, constants.py `HF_TOKEN_PATH`):
 *
 *   the token given (`--token`) > `$HF_TOKEN` > `$HUGGING_FACE_HUB_TOKEN` (legacy) >
 *   the token file `$HF_TOKEN_PATH`, default `$HF_HOME/token` (HF_HOME: `$XDG_CACHE_HOME/huggingface`
 *   or `~/.cache/huggingface`), written by `hf auth login`.
 *
 * The token goes only to the Hub endpoint: `hubFetch` follows redirects itself and sends
 * `Authorization` only to URLs with the endpoint's origin, so the CDN an LFS file redirects to
 * (another host) never sees it, as requests' `rebuild_auth` drops it for huggingface_hub.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HubError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** huggingface_hub's `_clean_token`: no CR/LF, trimmed; empty means none. */
function clean(token: string | undefined): string | undefined {
  const t = token?.replace(/[\r\n]/g, '').trim();
  return t ? t : undefined;
}

/** `$HF_TOKEN_PATH`, else `$HF_HOME/token` with HF_HOME as @huggingface/hub and huggingface_hub default it. */
export function hubTokenPath(env: Env = process.env): string {
  const hfHome = env['HF_HOME'] ?? join(env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'huggingface');
  return env['HF_TOKEN_PATH'] ?? join(hfHome, 'token');
}

/** The token to send, or undefined for anonymous requests. A token file that exists but cannot be read is an error. */
export async function hubToken(given?: string, env: Env = process.env): Promise<string | undefined> {
  const fromArgs = clean(given) ?? clean(env['HF_TOKEN']) ?? clean(env['HUGGING_FACE_HUB_TOKEN']);
  if (fromArgs !== undefined) return fromArgs;
  const file = hubTokenPath(env);
  try {
    return clean(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') return undefined;
    throw new HubError(`cannot read the Hugging Face token file (${typeof code === 'string' ? code : String(err)})`, { file });
  }
}

export interface HubFetchOptions {
  /** The Hub endpoint; only URLs with its origin get the token. */
  hubUrl: string;
  token?: string | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default 20, as fetch's own limit */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * A fetch for GET/HEAD requests to the Hub that adds `Authorization: Bearer <token>` to
 * requests for the endpoint's origin and follows redirects hop by hop (`redirect: 'manual'`),
 * deciding at every hop: a hop to another origin (scheme, host or port) goes without any
 * Authorization header, whoever set it. Node's fetch drops it on cross-origin redirects too, but
 * a custom fetch (proxy, test double) need not, so the rule lives here. Other methods pass through.
 */
export function hubFetch(opts: HubFetchOptions): typeof fetch {
  const base = opts.fetch ?? fetch;
  const hubOrigin = new URL(opts.hubUrl).origin;
  const maxRedirects = opts.maxRedirects ?? 20;
  return async (input, init) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    if ((method !== 'GET' && method !== 'HEAD') || input instanceof Request) return base(input, init);
    let url = new URL(String(input));
    for (let hop = 0; ; hop++) {
      const headers = new Headers(init?.headers);
      if (url.origin !== hubOrigin) headers.delete('authorization');
      else if (opts.token !== undefined) headers.set('authorization', `Bearer ${opts.token}`);
      const resp = await base(url.href, { ...init, headers, redirect: 'manual' });
      const location = resp.headers.get('location');
      if (!REDIRECTS.has(resp.status) || location === null || init?.redirect === 'manual') return resp;
      await resp.body?.cancel().catch(() => undefined);
      // A plain Error: the caller's retry and message wrapping (`hubError`, `downloadBlob`) name the file.
      if (hop >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects from ${url.origin}${url.pathname}`);
      url = new URL(location, url);
    }
  };
}
