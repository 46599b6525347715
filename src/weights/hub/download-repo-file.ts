/**
 * One file of a repository into the cache at a commit: nothing to do when the snapshot entry or
 * the blob is there; else @huggingface/hub's `fileDownloadInfo` resolves the download URL and size
 * (`GET {hubUrl}/{repo}/resolve/{commit}/{path}` with `Range: bytes=0-0`, redirects followed), and
 * `downloadBlob` fetches, resumes and verifies the bytes. The blob is named by the listing's oid
 * (the sha256 for LFS files, as huggingface_hub names it from `X-Linked-Etag`).
 */
import { fileDownloadInfo } from '@huggingface/hub';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HubError, hubError } from './errors.js';
import { blobFile, fileSize, linkIntoSnapshot, repoCacheDir, snapshotDir } from './cache-layout.js';
import { downloadBlob } from './download-blob.js';
import type { RepoEntry } from './repo-info.js';
import { expectedHash } from './verify.js';

export interface RepoFileParams {
  repo: string;
  commit: string;
  entry: RepoEntry;
  cacheDir: string;
  hubUrl: string;
  /** For the resolve probe (bounded: timeout and retries). */
  fetch: typeof fetch;
  /** Whether the fetches send a token (for the hint on a 401/403). */
  authenticated?: boolean;
  /** For the bytes (no overall timeout: `idleTimeoutMs` bounds a stalled transfer). @default globalThis.fetch */
  dataFetch?: typeof fetch;
  retries?: number;
  retryDelayMs?: number;
  idleTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RepoFileResult {
  path: string;
  size: number;
  /** Path of the snapshot entry (a link to the blob). */
  file: string;
  /** False when the cache already had it. */
  downloaded: boolean;
  /** Bytes that a previous, interrupted run had left in `.incomplete`. */
  resumedFrom: number;
}

export async function downloadRepoFile(p: RepoFileParams): Promise<RepoFileResult> {
  const { entry } = p;
  const place = `${p.repo}/${entry.path}`;
  const repoDir = repoCacheDir(p.cacheDir, p.repo);
  const pointer = join(snapshotDir(repoDir, p.commit), entry.path);
  const done = (downloaded: boolean, resumedFrom = 0): RepoFileResult => ({ path: entry.path, size: entry.size, file: pointer, downloaded, resumedFrom });
  if ((await fileSize(pointer)) === entry.size) return done(false);

  const etag = entry.lfs?.oid ?? entry.oid;
  if (etag === undefined) throw new HubError(`the hub's listing gives no oid for the file`, { file: place });
  const blob = blobFile(repoDir, etag);
  if ((await fileSize(blob)) === entry.size) {
    await linkIntoSnapshot(blob, pointer);
    return done(false);
  }

  let info: Awaited<ReturnType<typeof fileDownloadInfo>>;
  try {
    info = await fileDownloadInfo({ repo: p.repo, path: entry.path, revision: p.commit, hubUrl: p.hubUrl, fetch: p.fetch });
  } catch (err) {
    throw hubError(place, err, p.authenticated);
  }
  if (!info) throw new HubError(`listed by the hub, but its resolve URL answers 404`, { file: place });
  if (info.size !== entry.size) {
    throw new HubError(`the resolve URL and the listing disagree on the size`, { file: place, expected: String(entry.size), found: String(info.size) });
  }
  await mkdir(dirname(blob), { recursive: true });
  const { resumedFrom } = await downloadBlob({
    url: info.url,
    dest: blob,
    file: place,
    size: entry.size,
    expected: expectedHash(entry),
    ...(p.dataFetch && { fetch: p.dataFetch }),
    ...(p.retries !== undefined && { retries: p.retries }),
    ...(p.retryDelayMs !== undefined && { retryDelayMs: p.retryDelayMs }),
    ...(p.idleTimeoutMs !== undefined && { idleTimeoutMs: p.idleTimeoutMs }),
    ...(p.onProgress && { onProgress: p.onProgress }),
  });
  await linkIntoSnapshot(blob, pointer);
  return done(true, resumedFrom);
}
