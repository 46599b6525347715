/**
 * A stand-in for the Hugging Face Hub on 127.0.0.1 (node:http, port 0), answering the requests
 * @huggingface/hub and our downloader make, the way huggingface.co answers them:
 *
 *   GET  /api/models/{id}/revision/{rev}   model info with the commit `sha`
 *   GET  /api/models/{id}/tree/{rev}       file listing: path, size, oid, lfs {oid, size}
 *   GET|HEAD /{id}/resolve/{rev}/{path}    X-Repo-Commit, ETag = git oid; LFS files (*.safetensors)
 *                                          302 to /cdn/{sha256} with X-Linked-Etag / X-Linked-Size
 *   GET|HEAD /cdn/{sha256}                 the bytes, ETag = sha256
 *
 * `{id}` is `org/name` or a bare legacy id (`bert-base-uncased`). Bytes are served with
 * Accept-Ranges, 206 for `Range: bytes=a-[b]`, 416 when out of range, and 404 + X-Error-Code for a
 * missing repo, revision or file. Faults can be armed per file.
 *
 * A repo with a `token` is gated: its API and resolve URLs answer 401 without
 * `Authorization: Bearer <token>` and 403 with another token (X-Error-Code GatedRepo), as the Hub
 * does. With `cdnOnOtherHost`, LFS redirects go to a second server at http://localhost:<port>
 * (another origin, as cdn-lfs.huggingface.co is), which serves the bytes to anyone, like the
 * Hub's signed CDN URLs. Every request is recorded with its Host and Authorization headers.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServedRepo {
  id: string;
  commit: string;
  files: Record<string, Buffer>;
  /** Gated: API and resolve requests need `Authorization: Bearer <token>`. */
  token?: string;
}

export interface SeenRequest {
  method: string;
  path: string;
  range: string | undefined;
  /** The Host header: `127.0.0.1:<port>` for the hub, `localhost:<port>` for the other-host CDN. */
  host: string;
  authorization: string | undefined;
}

export interface HubServerOptions {
  /** Redirect LFS files to a second server on another origin (http://localhost:<port>). */
  cdnOnOtherHost?: boolean;
}

export type Fault =
  /**
   * Send `after` bytes, wait until `until(end)` holds (at most 5 s; `end` is the file offset the
   * bytes sent reach), then destroy the socket.
   */
  | { kind: 'drop'; after: number; until?: (end: number) => Promise<boolean>; times?: number }
  /** Send the headers, then nothing, until the server closes. */
  | { kind: 'stall'; times?: number }
  /** Send these bytes instead (same length: a corrupted transfer). */
  | { kind: 'body'; body: Buffer; times?: number }
  /** Answer 200 with the whole file whatever the Range header says. */
  | { kind: 'ignore-range'; times?: number };

export interface HubServer {
  url: string;
  /** Where LFS redirects point: `url`, or the other-host CDN's origin. */
  cdnUrl: string;
  requests: SeenRequest[];
  /** Arms a fault for the next `times` (default 1) data GETs of `repo/path` (not the `bytes=0-0` probe). */
  fault(repo: string, path: string, fault: Fault): void;
  close(): Promise<void>;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const gitOid = (b: Buffer): string => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const isLfs = (path: string): boolean => path.endsWith('.safetensors');
const pointer = (b: Buffer): Buffer => Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(b)}\nsize ${b.length}\n`);

export async function startHubServer(repos: ServedRepo[], opts: HubServerOptions = {}): Promise<HubServer> {
  const byId = new Map(repos.map((r) => [r.id, r]));
  const bySha = new Map<string, { repo: ServedRepo; path: string }>();
  for (const r of repos) for (const [path, b] of Object.entries(r.files)) if (isLfs(path)) bySha.set(sha256(b), { repo: r, path });
  const faults = new Map<string, Fault>();
  const requests: SeenRequest[] = [];

  const notFound = (res: ServerResponse, code: string, error: string): void => {
    res.writeHead(404, { 'Content-Type': 'application/json', 'X-Error-Code': code });
    res.end(JSON.stringify({ error }));
  };
  const json = (res: ServerResponse, value: unknown): void => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(value));
  };
  const resolveRev = (r: ServedRepo, rev: string): boolean => rev === 'main' || rev === r.commit;
  /** True when the request may see a gated repo; otherwise answers 401/403 as the Hub does. */
  const allowed = (req: IncomingMessage, res: ServerResponse, r: ServedRepo): boolean => {
    if (r.token === undefined || req.headers.authorization === `Bearer ${r.token}`) return true;
    const status = req.headers.authorization === undefined ? 401 : 403;
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': 'GatedRepo' });
    res.end(JSON.stringify({ error: `Access to model ${r.id} is restricted${status === 401 ? '. You must be authenticated to access it.' : ' and you are not in the authorized list.'}` }));
    return false;
  };
  let cdnUrl = '';

  async function serveBytes(req: IncomingMessage, res: ServerResponse, key: string, body: Buffer, headers: Record<string, string>): Promise<void> {
    const rangeHeader = req.headers.range;
    const probe = rangeHeader === 'bytes=0-0';
    const fault = probe ? undefined : faults.get(key);
    if (fault) {
      const left = (fault.times ?? 1) - 1;
      if (left <= 0) faults.delete(key);
      else faults.set(key, { ...fault, times: left });
    }
    if (fault?.kind === 'body') body = fault.body;
    const size = body.length;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const m = rangeHeader && fault?.kind !== 'ignore-range' ? /^bytes=(\d+)-(\d*)$/.exec(rangeHeader) : null;
    if (m) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      if (start >= size || start > end) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        res.end();
        return;
      }
      status = 206;
    }
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Content-Length': String(end - start + 1),
      ...(status === 206 && { 'Content-Range': `bytes ${start}-${end}/${size}` }),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (fault?.kind === 'stall') {
      res.flushHeaders();
      return; // closeAllConnections() ends it
    }
    if (fault?.kind === 'drop') {
      const upTo = Math.min(end + 1, start + fault.after);
      res.write(body.subarray(start, upTo));
      for (let i = 0; i < 100 && fault.until && !(await fault.until(upTo)); i++) await sleep(50);
      res.socket?.destroy();
      return;
    }
    res.end(body.subarray(start, end + 1));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    requests.push({ method: req.method ?? 'GET', path, range: req.headers.range, host: req.headers.host ?? '', authorization: req.headers.authorization });
    let m = /^\/api\/models\/((?:[^/]+\/)?[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const repo = byId.get(m[1] ?? '');
      const rev = decodeURIComponent(m[3] ?? '');
      if (!repo) return notFound(res, 'RepoNotFound', 'Repository not found');
      if (!allowed(req, res, repo)) return;
      if (!resolveRev(repo, rev)) return notFound(res, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      if (m[2] === 'revision') return json(res, { _id: 'x', id: repo.id, sha: repo.commit, private: false, lastModified: '2024-06-01T00:00:00.000Z' });
      return json(
        res,
        Object.entries(repo.files).map(([p, b]) => ({
          type: 'file',
          path: p,
          size: b.length,
          oid: gitOid(isLfs(p) ? pointer(b) : b),
          ...(isLfs(p) && { lfs: { oid: sha256(b), size: b.length, pointerSize: pointer(b).length } }),
        })),
      );
    }
    m = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    if (m) {
      const hit = bySha.get(m[1] ?? '');
      if (!hit) return notFound(res, 'EntryNotFound', 'no such object');
      const body = hit.repo.files[hit.path] as Buffer;
      return serveBytes(req, res, `${hit.repo.id}/${hit.path}`, body, { ETag: `"${sha256(body)}"` });
    }
    m = /^\/((?:[^/]+\/)?[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (m) {
      const repo = byId.get(m[1] ?? '');
      if (!repo) return notFound(res, 'RepoNotFound', 'Repository not found');
      if (!allowed(req, res, repo)) return;
      if (!resolveRev(repo, m[2] ?? '')) return notFound(res, 'RevisionNotFound', 'Invalid rev id');
      const file = m[3] ?? '';
      const body = repo.files[file];
      if (!body) return notFound(res, 'EntryNotFound', 'Entry not found');
      if (isLfs(file)) {
        res.writeHead(302, {
          Location: `${cdnUrl}/cdn/${sha256(body)}`,
          'X-Repo-Commit': repo.commit,
          'X-Linked-Etag': `"${sha256(body)}"`,
          'X-Linked-Size': String(body.length),
          ETag: `"${gitOid(pointer(body))}"`,
        });
        res.end();
        return;
      }
      return serveBytes(req, res, `${repo.id}/${file}`, body, { 'X-Repo-Commit': repo.commit, ETag: `"${gitOid(body)}"` });
    }
    notFound(res, 'NotFound', `no route for ${url.pathname}`);
  }

  const listen = async (host: string): Promise<{ server: Server; port: number }> => {
    const server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
    });
    await new Promise<void>((ok) => server.listen(0, host, ok));
    return { server, port: (server.address() as AddressInfo).port };
  };
  const hub = await listen('127.0.0.1');
  // 'localhost' names the same machine under another origin; Node binds and connects it the same way.
  const cdn = opts.cdnOnOtherHost ? await listen('localhost') : undefined;
  if (cdn) cdnUrl = `http://localhost:${cdn.port}`;
  const closeOne = (server: Server): Promise<void> =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return {
    url: `http://127.0.0.1:${hub.port}`,
    cdnUrl: cdnUrl || `http://127.0.0.1:${hub.port}`,
    requests,
    fault: (repo, path, f) => faults.set(`${repo}/${path}`, f),
    close: async () => {
      await Promise.all([closeOne(hub.server), ...(cdn ? [closeOne(cdn.server)] : [])]);
    },
  };
}
