/**
 * Content checks for downloaded blobs. An LFS file's oid (its `X-Linked-Etag` on the Hub, and the
 * blob's name in the cache) is the sha256 of its bytes; a regular git file's oid is git's blob
 * hash, sha1("blob <size>\0" + bytes).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type HashKind = 'sha256' | 'git-sha1';

export interface ExpectedHash {
  kind: HashKind;
  /** Lower-case hex. */
  hex: string;
}

/** The hash of the file at `path`, of `size` bytes, read as a stream. */
export async function hashFile(path: string, kind: HashKind, size: number): Promise<string> {
  const h = createHash(kind === 'sha256' ? 'sha256' : 'sha1');
  if (kind === 'git-sha1') h.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** What the listing says the file's bytes hash to: sha256 for LFS files, the git oid otherwise. */
export function expectedHash(entry: { oid?: string | undefined; lfs?: { oid: string } | undefined }): ExpectedHash | undefined {
  if (entry.lfs && /^[0-9a-f]{64}$/.test(entry.lfs.oid)) return { kind: 'sha256', hex: entry.lfs.oid };
  if (!entry.lfs && entry.oid && /^[0-9a-f]{40}$/.test(entry.oid)) return { kind: 'git-sha1', hex: entry.oid };
  return undefined;
}
