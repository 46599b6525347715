/**
 * What a model repository holds at a revision, through @huggingface/hub: the commit the revision
 * points to (`GET /api/models/{repo}/revision/{rev}`, as `snapshotDownload` asks it) and the
 * files at the top of that commit (`GET /api/models/{repo}/tree/{commit}`, paged by `Link`).
 */
import { listFiles, modelInfo } from '@huggingface/hub';
import { HubError, hubError } from './errors.js';
import { isCommitHash } from './cache-layout.js';

export interface RepoParams {
  /** `org/name`, or a bare legacy id such as `bert-base-uncased`. */
  repo: string;
  /** Branch, tag or commit. */
  revision: string;
  hubUrl: string;
  fetch: typeof fetch;
  /** Whether `fetch` sends a token (for the hint on a 401/403). */
  authenticated?: boolean;
}

/** One file of the listing; `lfs` for files stored in LFS (or Xet), whose oid is their sha256. */
export interface RepoEntry {
  path: string;
  size: number;
  oid?: string | undefined;
  lfs?: { oid: string; size: number } | undefined;
}

/** Listings longer than this are cut off: a model folder has tens of files, and the pages are bounded. */
const MAX_LISTED_FILES = 10_000;

/** The 40-hex commit `revision` stands for. */
export async function repoCommit(p: RepoParams): Promise<string> {
  let sha: unknown;
  try {
    const info = await modelInfo({ name: p.repo, revision: p.revision, additionalFields: ['sha'], hubUrl: p.hubUrl, fetch: p.fetch });
    sha = info.sha;
  } catch (err) {
    throw hubError(`${p.repo}@${p.revision}`, err, p.authenticated);
  }
  if (typeof sha !== 'string' || !isCommitHash(sha)) {
    throw new HubError(`the hub's model info has no commit sha`, { file: `${p.repo}@${p.revision}`, found: JSON.stringify(sha) });
  }
  return sha;
}

/** Files (not folders) at the top level of the repository at `commit`, by path. */
export async function listRepoFiles(p: Omit<RepoParams, 'revision'> & { commit: string }): Promise<Map<string, RepoEntry>> {
  const files = new Map<string, RepoEntry>();
  let seen = 0;
  try {
    for await (const e of listFiles({ repo: p.repo, revision: p.commit, hubUrl: p.hubUrl, fetch: p.fetch })) {
      if (++seen > MAX_LISTED_FILES) break; // breaking out of the generator stops the paging
      if (e.type !== 'file') continue;
      files.set(e.path, { path: e.path, size: e.lfs?.size ?? e.size, oid: e.oid, lfs: e.lfs && { oid: e.lfs.oid, size: e.lfs.size } });
    }
  } catch (err) {
    throw hubError(`${p.repo}@${p.commit}`, err, p.authenticated);
  }
  return files;
}
