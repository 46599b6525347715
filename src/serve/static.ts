/**
 * The page's files, served from one folder and nothing outside it: the URL path is decoded once,
 * resolved under the folder and refused (403) when it would leave it — `..` segments, encoded
 * `%2e%2e%2f`, backslashes, NUL bytes, or a link inside the folder that points out of it.
 * Only known file types are served, with a content security policy that allows nothing from
 * another origin.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { RequestError } from './requests.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** Same origin only: scripts and styles from files, images also from data: and blob: (a saved mask). */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The file a URL path names inside `root`, or a RequestError (400 malformed, 403 outside, 404 absent). */
export async function resolveStatic(root: string, urlPath: string): Promise<string> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    throw new RequestError('malformed percent-encoding in the path');
  }
  if (decoded.includes('\0')) throw new RequestError('a NUL byte in the path');
  if (decoded.includes('\\') || decoded.split('/').some((s) => s === '..')) throw new RequestError('the path leaves the page folder', 403);
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const base = await realpath(root);
  const file = resolve(base, rel);
  if (!file.startsWith(base + sep)) throw new RequestError('the path leaves the page folder', 403);
  if (!Object.hasOwn(TYPES, extname(file))) throw new RequestError(`not found: ${urlPath}`, 404);
  let real: string;
  try {
    real = await realpath(file);
    if (!(await stat(real)).isFile()) throw new Error('not a file');
  } catch {
    throw new RequestError(`not found: ${urlPath}`, 404);
  }
  if (!real.startsWith(base + sep)) throw new RequestError('the path leaves the page folder', 403);
  return real;
}

/** Sends a file resolved by resolveStatic (a HEAD request gets the headers only). */
export async function sendStatic(res: ServerResponse, file: string, head: boolean): Promise<void> {
  const { size } = await stat(file);
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] as string, 'Content-Length': size, 'Cache-Control': 'no-cache', ...PAGE_SECURITY_HEADERS });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((done) => {
    const s = createReadStream(file);
    s.on('error', () => {
      res.destroy();
      done();
    });
    s.on('end', done);
    s.pipe(res);
  });
}
