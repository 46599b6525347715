/**
 * The Hugging Face cache layout, shared with huggingface_hub (Python) and @huggingface/hub:
 *
 *   <cache>/models--org--name/blobs/<etag>                 file contents, named by ETag (sha256 for LFS, git oid otherwise)
 *   <cache>/models--org--name/blobs/<etag>.incomplete      a download in progress, resumed from its length
 *   <cache>/models--org--name/snapshots/<commit>/<file>    relative symlink to ../../blobs/<etag>
 *   <cache>/models--org--name/refs/<revision>              the commit a branch or tag pointed to
 *
 * (huggingface_hub/file_download.py, `hf_hub_download` and `_create_symlink`.)
 */
import { getHFHubCachePath, getRepoFolderName, REGEX_COMMIT_HASH } from '@huggingface/hub';
import { copyFile, lstat, mkdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { writeFileAtomic } from '../../formats/files.js';
import { HubError } from './errors.js';

/**
 * `cacheDir` if given, else huggingface_hub's default: `$HF_HUB_CACHE`, `$HUGGINGFACE_HUB_CACHE`,
 * `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub` (read at each call).
 */
export function hubCacheDir(cacheDir?: string): string {
  return cacheDir ?? getHFHubCachePath();
}

/**
 * A model id as the Hub spells it: `org/name`, or a bare `name` (legacy canonical models such as
 * `bert-base-uncased`, which the Hub still serves), as huggingface_hub's `validate_repo_id`
 * allows: word characters, `.` and `-`, at most 96 per part, no `--` or `..`.
 */
export function isRepoId(s: string): boolean {
  return /^(?:[A-Za-z0-9][\w.-]{0,95}\/)?[A-Za-z0-9][\w.-]{0,95}$/.test(s) && !/--|\.\.|[.-]$/.test(s);
}

export function checkRepoId(repo: string): void {
  if (!isRepoId(repo)) throw new HubError(`not a Hugging Face model id; expected org/name or a bare name such as bert-base-uncased`, { file: `'${repo}'` });
}

/** Branch, tag or commit; may hold `/` (`refs/pr/1`) but must stay inside `refs/`. */
export function checkRevision(revision: string): void {
  const parts = revision.split('/');
  if (revision === '' || revision.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new HubError(`not a usable revision name`, { file: `revision '${revision}'` });
  }
}

export function isCommitHash(revision: string): boolean {
  return REGEX_COMMIT_HASH.test(revision);
}

/** `<cache>/models--org--name`; `<cache>/models--name` for a bare id. */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export function snapshotDir(repoDir: string, commit: string): string {
  return join(repoDir, 'snapshots', commit);
}

export function blobFile(repoDir: string, etag: string): string {
  if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(etag)) throw new HubError(`not a git oid or sha256: ${JSON.stringify(etag)}`, { file: repoDir });
  return join(repoDir, 'blobs', etag);
}

/** The commit `refs/<revision>` records, or undefined when the file is missing or not a commit hash. */
export async function readRef(repoDir: string, revision: string): Promise<string | undefined> {
  checkRevision(revision);
  try {
    const commit = (await readFile(join(repoDir, 'refs', revision), 'utf8')).trim();
    return isCommitHash(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `refs/<revision>` atomically, so readers (and concurrent downloads) see the old or the new commit. */
export async function writeRef(repoDir: string, revision: string, commit: string): Promise<void> {
  checkRevision(revision);
  const file = join(repoDir, 'refs', revision);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, commit);
}

/** Whether anything (file, folder, link target) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Size of the file at `path` (following links), or -1 when there is none. */
export async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : -1;
  } catch {
    return -1;
  }
}

/**
 * Points `pointer` (a snapshot entry) at `blob` with a relative symlink, so the cache can move;
 * copies where links are not allowed (Windows without developer mode), as huggingface_hub does.
 */
export async function linkIntoSnapshot(blob: string, pointer: string): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  try {
    await lstat(pointer);
    await rm(pointer);
  } catch {
    // nothing there yet
  }
  try {
    await symlink(relative(dirname(resolve(pointer)), resolve(blob)), pointer);
  } catch {
    await copyFile(blob, pointer);
  }
}
