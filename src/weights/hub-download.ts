/**
 * `downloadModel`: a cross-encoder from the Hugging Face Hub into the Hugging Face cache, laid out
 * as huggingface_hub lays it out (so Python tools share the files), resumable and verified.
 * Uses @huggingface/hub for the API (model info, file listing, resolve probes, cache paths) and
 * adds what its `downloadFileToCacheDir` lacks: Range resumption, size and hash checks, progress,
 * bounded retries and timeouts. `resolveModel` then finds the snapshot folder offline.
 */
import { HUB_URL } from '@huggingface/hub';
import { readFile } from 'node:fs/promises';
import { hubFetch, hubToken } from './hub/auth.js';
import { boundedFetch } from './hub/bounded-fetch.js';
import { checkRepoId, checkRevision, hubCacheDir, repoCacheDir, snapshotDir, writeRef } from './hub/cache-layout.js';
import { downloadRepoFile } from './hub/download-repo-file.js';
import type { RepoFileResult } from './hub/download-repo-file.js';
import { planModelFiles, shardFiles } from './hub/model-files.js';
import { listRepoFiles, repoCommit } from './hub/repo-info.js';
import type { RepoEntry } from './hub/repo-info.js';

import { HubError } from './hub/errors.js';

export { HubError } from './hub/errors.js';
export { resolveModel } from './hub/resolve-model.js';
export type { ResolveModelOptions } from './hub/resolve-model.js';
export { hubCacheDir, isRepoId } from './hub/cache-layout.js';
export { hubToken, hubTokenPath } from './hub/auth.js';
export type { RepoFileResult } from './hub/download-repo-file.js';

/** What downloadModel fetches (repository, revision) and how (cache, endpoint, token, retries, progress). */
export interface DownloadModelParams {
  /** Model id on the Hub: `org/name`, or a bare legacy id such as `bert-base-uncased`. */
  repo: string;
  /** Branch, tag or commit. @default "main" */
  revision?: string;
  /** Root of the Hugging Face cache. @default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub` */
  cacheDir?: string;
  /** @default `$HF_ENDPOINT`, else https://huggingface.co */
  hubUrl?: string;
  /**
   * Access token for gated or private models, sent only to `hubUrl`'s origin (never to the CDN a
   * file redirects to); false: send none. @default `$HF_TOKEN`, else the token file `$HF_HOME/token` (see `hubToken`)
   */
  token?: string | false;
  /** Custom fetch (tests, proxies). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Tries after the first, per API request and per file (each file try resumes). @default 3 */
  retries?: number;
  /** Pause before the first retry, doubled for each next one. @default 1_000 */
  retryDelayMs?: number;
  /** Limit for one API request. @default 30_000 */
  timeoutMs?: number;
  /** A file transfer that delivers no bytes for this long is dropped and retried. @default 60_000 */
  idleTimeoutMs?: number;
  /** Bytes done over all the files this call fetches (cached files count as done). */
  onProgress?: (p: DownloadProgress) => void;
}

export interface DownloadProgress {
  /** The file being fetched, e.g. `model.safetensors`. */
  file: string;
  done: number;
  total: number;
}

/** Where a downloaded model lies: its snapshot folder in the Hugging Face cache, the commit, and the files fetched. */
export interface DownloadedModel {
  repo: string;
  commit: string;
  /** The snapshot folder: a model folder for `loadModel` and `loadTokenizer`. */
  dir: string;
  files: RepoFileResult[];
}

export const DOWNLOAD_DEFAULTS = { revision: 'main', retries: 3 } as const;

/** Downloads a model repository (config, tokenizer files, safetensors weights) into the Hugging Face cache, verified. */
export async function downloadModel(params: DownloadModelParams): Promise<DownloadedModel> {
  const { repo } = params;
  checkRepoId(repo);
  const revision = params.revision ?? DOWNLOAD_DEFAULTS.revision;
  checkRevision(revision);
  const cacheDir = hubCacheDir(params.cacheDir);
  const hubUrl = hubEndpoint(params.hubUrl);
  const retries = params.retries ?? DOWNLOAD_DEFAULTS.retries;
  const token = params.token === false ? undefined : await hubToken(params.token);
  const authenticated = token !== undefined;
  // Every request, API and bytes alike, goes through hubFetch: it alone decides who sees the token.
  // `data` (the bytes) has no overall timeout; `api` bounds each small request and retries it.
  const data = hubFetch({ hubUrl, token, ...(params.fetch && { fetch: params.fetch }) });
  const api = boundedFetch({
    fetch: data,
    ...(params.timeoutMs !== undefined && { timeoutMs: params.timeoutMs }),
    retries,
    ...(params.retryDelayMs !== undefined && { retryDelayMs: params.retryDelayMs }),
  });

  const commit = await repoCommit({ repo, revision, hubUrl, fetch: api, authenticated });
  const listing = await listRepoFiles({ repo, commit, hubUrl, fetch: api, authenticated });
  const plan = planModelFiles(listing, `${repo}@${commit}`);

  const fetchOne = (entry: RepoEntry, onProgress?: (done: number) => void): Promise<RepoFileResult> =>
    downloadRepoFile({
      repo,
      commit,
      entry,
      cacheDir,
      hubUrl,
      fetch: api,
      dataFetch: data,
      authenticated,
      retries,
      ...(params.retryDelayMs !== undefined && { retryDelayMs: params.retryDelayMs }),
      ...(params.idleTimeoutMs !== undefined && { idleTimeoutMs: params.idleTimeoutMs }),
      ...(onProgress && { onProgress: (d: number) => onProgress(d) }),
    });

  // The (small) shard index first: it names the shards, so the total is known before the big files.
  const results: RepoFileResult[] = [];
  let todo = plan.files;
  if (plan.index) {
    const indexResult = await fetchOne(plan.index);
    results.push(indexResult);
    todo = [...todo, ...shardFiles(await readFile(indexResult.file, 'utf8'), `${repo}/${plan.index.path}`, listing)];
  }
  const total = todo.reduce((s, e) => s + e.size, 0);
  let before = 0;
  for (const entry of todo) {
    const offset = before;
    const report = params.onProgress && ((d: number): void => params.onProgress?.({ file: entry.path, done: offset + d, total }));
    report?.(0);
    results.push(await fetchOne(entry, report));
    before += entry.size;
    params.onProgress?.({ file: entry.path, done: before, total });
  }

  // Only a complete snapshot gets the ref, so `resolveModel` never hands out half a model.
  const repoDir = repoCacheDir(cacheDir, repo);
  if (revision !== commit) await writeRef(repoDir, revision, commit);
  return { repo, commit, dir: snapshotDir(repoDir, commit), files: results };
}

/** The endpoint every request goes to: `hubUrl`, else `$HF_ENDPOINT` (as huggingface_hub reads it), else huggingface.co. */
function hubEndpoint(hubUrl?: string): string {
  const fromEnv = process.env['HF_ENDPOINT'];
  const url = (hubUrl ?? (fromEnv || undefined) ?? HUB_URL).replace(/\/+$/, '');
  const source = hubUrl === undefined && fromEnv ? 'HF_ENDPOINT' : 'hub URL';
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new HubError(`not an http(s) URL`, { file: `${source} '${url}'` });
  }
  return url;
}
