/**
 * Where the explorer page is: `dist/serve/page/` (built by `npm run build`: the page's TypeScript
 * compiled by src/serve/page/tsconfig.json, its HTML and CSS copied beside it). From the compiled
 * server that is the sibling folder; from the sources (ts-jest) it is this package's dist.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CelensError } from '../errors.js';

/** The files the page needs; a folder without them is not a built page. */
export const PAGE_FILES = ['index.html', 'style.css', 'app.js'] as const;

export function pageDir(): string {
  const here = fileURLToPath(import.meta.url);
  const dir = here.endsWith('.ts') ? resolve(dirname(here), '../../dist/serve/page') : join(dirname(here), 'page');
  const missing = PAGE_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) throw new CelensError(`the explorer page is not built (${missing.join(', ')} missing; run npm run build)`, { file: dir });
  return dir;
}
