/**
 * `downloadModel`: a cross-encoder from the Hugging Face Hub into the Hugging Face cache, laid out
 * as huggingface_hub lays it out (so Python tools share the files), resumable and verified.
 * Uses @huggingface/hub for the API (model info, file listing, resolve probes, cache paths) and
 * adds what its `downloadFileToCacheDir` lacks: Range resumption, size and hash checks, progress,
 * bounded retries and timeouts. `resolveModel` then finds the snapshot folder offline.
 */
import { HUB_URL } from '@huggingface/hub';
import { readFile } from 'node:fs/promises';
import { boundedFetch } from './hub/bounded-fetch.js';
import { checkRepoId, checkRevision, hubCacheDir, repoCacheDir, snapshotDir, writeRef } from './hub/cache-layout.js';
import { downloadRepoFile } from './hub/download-repo-file.js';
import type { RepoFileResult } from './hub/download-repo-file.js';
import { planModelFiles, shardFiles } from './hub/model-files.js';
import { listRepoFiles, repoCommit } from './hub/repo-info.js';
import type { RepoEntry } from './hub/repo-info.js';

export { HubError } from './hub/errors.js';
export { resolveModel } from './hub/resolve-model.js';
export type { ResolveModelOptions } from './hub/resolve-model.js';
export { hubCacheDir, isRepoId } from './hub/cache-layout.js';
export type { RepoFileResult } from './hub/download-repo-file.js';

export interface DownloadModelParams {
  /** Model id on the Hub, `org/name`. */
  repo: string;
  /** Branch, tag or commit. @default "main" */
  revision?: string;
  /** Root of the Hugging Face cache. @default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub` */
  cacheDir?: string;
  /** @default `$HF_ENDPOINT`, else https://huggingface.co */
  hubUrl?: string;
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

export interface DownloadedModel {
  repo: string;
  commit: string;
  /** The snapshot folder: a model folder for `loadModel` and `loadTokenizer`. */
  dir: string;
  files: RepoFileResult[];
}

export async function downloadModel(params: DownloadModelParams): Promise<DownloadedModel> {
  const { repo } = params;
  checkRepoId(repo);
  const revision = params.revision ?? 'main';
  checkRevision(revision);
  const cacheDir = hubCacheDir(params.cacheDir);
  const hubUrl = (params.hubUrl ?? process.env['HF_ENDPOINT'] ?? HUB_URL).replace(/\/+$/, '');
  const retries = params.retries ?? 3;
  const api = boundedFetch({
    ...(params.fetch && { fetch: params.fetch }),
    ...(params.timeoutMs !== undefined && { timeoutMs: params.timeoutMs }),
    retries,
    ...(params.retryDelayMs !== undefined && { retryDelayMs: params.retryDelayMs }),
  });

  const commit = await repoCommit({ repo, revision, hubUrl, fetch: api });
  const listing = await listRepoFiles({ repo, commit, hubUrl, fetch: api });
  const plan = planModelFiles(listing, `${repo}@${commit}`);

  const fetchOne = (entry: RepoEntry, onProgress?: (done: number) => void): Promise<RepoFileResult> =>
    downloadRepoFile({
      repo,
      commit,
      entry,
      cacheDir,
      hubUrl,
      fetch: api,
      ...(params.fetch && { dataFetch: params.fetch }),
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
