/**
 * The MODEL argument of every command: a local folder, or a hub id (`org/name`, or a bare legacy
 * id such as `bert-base-uncased`) served from the Hugging Face cache without touching the network
 * (huggingface_hub's `local_files_only=True`). A path that exists always wins over a hub id, as
 * `from_pretrained` prefers a local folder: `bert-base-uncased` is the folder of that name in the
 * working directory when there is one.
 */
import { HubError } from './errors.js';
import { checkRevision, exists, hubCacheDir, isCommitHash, isDirectory, isRepoId, readRef, repoCacheDir, snapshotDir } from './cache-layout.js';

export interface ResolveModelOptions {
  /** Root of the Hugging Face cache. @default `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub` */
  cacheDir?: string;
  /** Branch, tag or commit of a hub id; ignored for folders. @default "main" */
  revision?: string;
}

/**
 * `arg` itself when something is there (a folder; a file, whose error the loader gives); the
 * cached snapshot folder when it is a hub id that `celens download` (or huggingface_hub) has
 * fetched; otherwise `arg` unchanged if it does not look like a hub id (the loader then says what
 * is missing), and a HubError naming the cache if it does.
 */
export async function resolveModel(arg: string, opts: ResolveModelOptions = {}): Promise<string> {
  if (await exists(arg)) return arg;
  if (!isRepoId(arg)) return arg;
  const cacheDir = hubCacheDir(opts.cacheDir);
  const revision = opts.revision ?? 'main';
  checkRevision(revision);
  const repoDir = repoCacheDir(cacheDir, arg);
  const commit = isCommitHash(revision) ? revision : await readRef(repoDir, revision);
  if (commit !== undefined) {
    const dir = snapshotDir(repoDir, commit);
    if (await isDirectory(dir)) return dir;
  }
  const at = revision === 'main' ? '' : ` at revision '${revision}'`;
  const flags = `${revision === 'main' ? '' : ` --revision ${revision}`}${opts.cacheDir === undefined ? '' : ` --cache-dir ${opts.cacheDir}`}`;
  throw new HubError(`model '${arg}'${at} is not a folder and is not in the Hugging Face cache (${cacheDir}); run: celens download ${arg}${flags}`);
}
