/**
 * `celens serve`'s HTTP server (node:http, no framework): the JSON API of page/api-types.ts and the
 * page's static files.
 *
 * Safety: it binds 127.0.0.1 unless told otherwise, and when bound to a loopback address it
 * answers only requests addressed to a loopback name (a page elsewhere cannot reach it through
 * DNS rebinding) and refuses cross-origin POSTs. POST bodies must be `application/json` (so no
 * other site's form or simple request gets through without a preflight that is never granted)
 * and at most `maxBodyBytes` (413); malformed JSON and bad fields are 400s; every error is
 * `{"error": "…"}`. Model jobs run one at a time in a JobQueue; a client that closes its
 * connection leaves the queue or stops its job at the next checkpoint. No request, however bad,
 * stops the server: every handler's failure ends in an answer (500 for a bug of ours).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CelensError } from '../errors.js';
import type { Collection } from '../ir/collection.js';
import { NIG_DEFAULTS, NIG_RULES } from '../attribution/nig.js';
import { BASELINES } from '../attribution/baselines.js';
import { candidates, listQueries } from './collection-view.js';
import { EXPLORER_SITE } from './explorer.js';
import type { Explorer } from './explorer.js';
import type { InfoResponse, ServeLimits, StatusResponse, StreamLine } from './page/api-types.js';
import { CancelledError, JobQueue, QueueFullError } from './queue.js';
import type { JobControl } from './queue.js';
import { DEFAULT_TOP, parseAttentionRequest, parseAttributeRequest, parsePassagesRequest, RequestError, SERVE_LIMITS } from './requests.js';
import { resolveStatic, sendStatic } from './static.js';
import { pageDir } from './page-dir.js';

export interface ServeOptions {
  explorer: Explorer;
  /** Queries with first-stage candidates for the page's picker. */
  collection?: Collection;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 7860 */
  port?: number;
  /** The page's folder. @default the built page beside this module (page-dir.ts) */
  pageDir?: string;
  limits?: Partial<ServeLimits>;
  /** One line per request that failed on our side (500), and per cancelled job. @default nothing */
  log?: (line: string) => void;
}

export const SERVE_DEFAULTS = { host: '127.0.0.1', port: 7860 } as const;

export interface RunningServer {
  /** `http://host:port/`. */
  url: string;
  port: number;
  stats(): StatusResponse;
  /** Stops listening, closes every connection (so every job is cancelled) and waits until no job runs. */
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** A body this much over the limit is not read to its end before the 413: the connection is closed instead. */
const DRAIN_FACTOR = 16;

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const limits: ServeLimits = { ...SERVE_LIMITS, ...o.limits };
  const host = o.host ?? SERVE_DEFAULTS.host;
  const root = o.pageDir ?? pageDir();
  const queue = new JobQueue(limits.maxQueue);
  const ex = o.explorer;
  const config = ex.model.config;
  const log = o.log ?? ((): void => undefined);
  const loopback = LOOPBACK_NAMES.has(host) || host.startsWith('127.');

  const info: InfoResponse = {
    model: ex.name,
    numLayers: config.numLayers,
    numHeads: config.numHeads,
    intermediateSizes: [...config.intermediateSizes],
    numLabels: config.numLabels,
    relevance: ex.describeRule(),
    maxLength: ex.maxLength,
    attribution: { site: EXPLORER_SITE, steps: NIG_DEFAULTS.steps, baseline: NIG_DEFAULTS.baseline, rule: NIG_DEFAULTS.rule, baselines: [...BASELINES], rules: [...NIG_RULES], top: Math.min(DEFAULT_TOP, ...config.intermediateSizes) },
    limits,
    collection: o.collection ? { name: o.collection.name, queries: o.collection.run?.size ?? 0 } : null,
  };

  /** A POST that runs a model job: body → checked request → queued job → JSON, or NDJSON lines when asked. */
  async function job<J, R>(req: IncomingMessage, res: ServerResponse, name: string, parse: (raw: unknown) => J, work: (j: J, ctl: JobControl) => Promise<R>): Promise<void> {
    const parsed = parse(await readJson(req, limits.maxBodyBytes));
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    const stream = (req.headers.accept ?? '').includes('application/x-ndjson');
    const line = (l: StreamLine): void => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(l)}\n`);
    };
    if (stream) res.writeHead(200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    let last = 0;
    const hooks = stream
      ? {
          onQueued: (ahead: number) => line({ queued: ahead }),
          onProgress: (done: number, total: number, what: string) => {
            // At most ~20 lines a second; the last one always.
            const now = Date.now();
            if (done < total && now - last < 50) return;
            last = now;
            line({ progress: { done, total, what } });
          },
        }
      : {};
    try {
      const result = await queue.run(name, ac.signal, (ctl) => work(parsed, ctl), hooks);
      if (stream) {
        line({ result });
        res.end();
      } else sendJson(res, 200, result);
    } catch (e) {
      if (e instanceof CancelledError) {
        log(`celens: ${name}: ${e.message}`);
        res.destroy();
        return;
      }
      const { status, message } = describeError(e, name, log);
      if (stream) {
        line({ error: message, status });
        res.end();
      } else sendJson(res, status, { error: message });
    }
  }

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = url.pathname;
    const get = req.method === 'GET' || req.method === 'HEAD';
    const post = req.method === 'POST';
    if (post) checkPost(req);
    switch (route) {
      case '/api/info':
        return get ? sendJson(res, 200, info) : methodNotAllowed('GET');
      case '/api/status':
        return get ? sendJson(res, 200, queue.stats()) : methodNotAllowed('GET');
      case '/api/queries':
        if (!get) return methodNotAllowed('GET');
        return sendJson(res, 200, listQueries(needCollection()));
      case '/api/candidates': {
        if (!get) return methodNotAllowed('GET');
        const qid = url.searchParams.get('qid');
        if (qid === null) throw new RequestError('give ?qid=QUERY_ID');
        const k = url.searchParams.get('k');
        return sendJson(res, 200, candidates(needCollection(), qid, k === null ? 20 : Number(k)));
      }
      case '/api/score':
        if (!post) return methodNotAllowed('POST');
        return job(req, res, 'score', (raw) => parsePassagesRequest(raw, config, limits), (j, ctl) => ex.score(j, ctl));
      case '/api/rerank':
        if (!post) return methodNotAllowed('POST');
        return job(req, res, 'rerank', (raw) => parsePassagesRequest(raw, config, limits), (j, ctl) => ex.rerank(j, ctl));
      case '/api/attribute':
        if (!post) return methodNotAllowed('POST');
        return job(req, res, 'attribute', (raw) => parseAttributeRequest(raw, config, limits), (j, ctl) => ex.attribute(j, ctl));
      case '/api/attention':
        if (!post) return methodNotAllowed('POST');
        return job(req, res, 'attention', (raw) => parseAttentionRequest(raw, config), (j, ctl) => ex.attention(j, ctl));
      default:
        throw new RequestError(`no API endpoint ${route}`, 404);
    }
  }

  function needCollection(): Collection {
    if (!o.collection) throw new RequestError('the server was started without --collection', 404);
    return o.collection;
  }

  /** Cross-site protection: a POST must carry JSON, and an Origin, when sent, must be this server. */
  function checkPost(req: IncomingMessage): void {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') throw new RequestError('POST bodies must be sent as Content-Type: application/json', 415);
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let from: string;
      try {
        from = new URL(origin).host;
      } catch {
        throw new RequestError('a malformed Origin header', 403);
      }
      if (from !== req.headers.host) throw new RequestError(`cross-origin requests are refused (Origin ${origin})`, 403);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (loopback && !isLoopbackHost(req.headers.host)) throw new RequestError('this server answers requests to localhost only', 403);
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        throw new RequestError('a malformed request target');
      }
      if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return await api(req, res, url);
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
      // The raw path, not the URL parser's normalised one: `/../x` must be refused, not rewritten to `/x`.
      const rawPath = (req.url ?? '/').split(/[?#]/)[0] ?? '/';
      await sendStatic(res, await resolveStatic(root, rawPath), req.method === 'HEAD');
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const { status, message } = describeError(e, `${req.method ?? '?'} ${req.url ?? ''}`, log);
      sendJson(res, status, { error: message }, status === 413 ? { Connection: 'close' } : {});
    }
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  // A model pass holds the event loop (seconds on a big model): an idle keep-alive connection must
  // not time out while a client's next request waits in it, or the client sees a reset.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  // A client that sends garbage instead of HTTP gets a 400 from node; the server carries on.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{"error":"malformed HTTP request"}');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? SERVE_DEFAULTS.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    stats: () => queue.stats(),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Closing the connections cancels every job: waiting ones at once, the running one at its next checkpoint.
      server.closeAllConnections();
      await Promise.all([closed, queue.idle()]);
    },
  };
}

function methodNotAllowed(allowed: string): never {
  throw new RequestError(`method not allowed here (use ${allowed})`, 405);
}

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  return LOOPBACK_NAMES.has(name.toLowerCase()) || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Status and one-line message of an error: ours (4xx) as they are, anything else a 500 that is logged. */
function describeError(e: unknown, what: string, log: (line: string) => void): { status: number; message: string } {
  if (e instanceof RequestError) return { status: e.status, message: e.message };
  if (e instanceof QueueFullError) return { status: 503, message: e.message };
  // Bad input found by the library (a tokenizer limit, a site, a usage rule): the request's fault.
  if (e instanceof CelensError || e instanceof RangeError) return { status: 400, message: e.message };
  log(`celens: ${what}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return { status: 500, message: `internal error: ${e instanceof Error ? e.message : String(e)}` };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(text);
}

/**
 * The request body as JSON. Over `limit` bytes (declared or counted): a 413, after reading the
 * rest so the client can read the answer, or at once with the connection closed when the body is
 * far larger. Not JSON: a 400 naming where it broke.
 */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = (): RequestError => new RequestError(`the request body is over ${limit} bytes`, 413);
  if (Number.isFinite(declared) && declared > DRAIN_FACTOR * limit) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  await new Promise<void>((resolve, reject) => {
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > DRAIN_FACTOR * limit) {
        req.destroy();
        reject(tooLarge());
      } else if (size <= limit) chunks.push(c);
    });
    req.on('end', resolve);
    req.on('error', reject);
    req.on('aborted', () => reject(new RequestError('the client closed the connection before the body ended')));
  });
  if (size > limit) throw tooLarge();
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new RequestError('the request body is empty: send a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new RequestError(`the request body is not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`);
  }
}
