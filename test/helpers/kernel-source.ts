/** What scripts/build-kernels.sh hashes for a kernel: kernels/NAME.c followed by every kernels/*.h. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

const DIR = new URL('../../src/backend/kernels/', import.meta.url);

export function kernelSourceSha256(name: string): string {
  const h = createHash('sha256').update(readFileSync(new URL(`${name}.c`, DIR)));
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.h')).sort()) h.update(readFileSync(new URL(f, DIR)));
  return h.digest('hex');
}
