/** The `attribute --pairs` file: query<TAB>passage per line. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPairsTsv } from '../../src/tokenize/load.js';
import { onlyCelensErrors, scratch } from '../oracle.js';

export const dictionary = ['\t', '\r\n', '\n', '\r', '\uFEFF'];

export async function fuzz(data: Buffer): Promise<void> {
  const file = join(scratch(), 'pairs.tsv');
  writeFileSync(file, data);
  await onlyCelensErrors(() => readPairsTsv(file));
}
