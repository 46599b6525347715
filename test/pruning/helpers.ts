/** Shared by the pruning tests: the fixture's prune masks as mask JSON, its pairs as encodings. */
import { join } from 'node:path';
import type { Tensor } from '../../src/weights/safetensors.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';
import { mulberry32 } from '../../src/util/random.js';
import { fixtureBatch } from '../helpers/fixture.js';
import { unpad } from '../../src/attribution/attribute.js';

export const MINILM = join(process.cwd(), '../shared/data/ms-marco-MiniLM-L-6-v2');
export const DL20 = join(process.cwd(), '../shared/data/trec-dl-2020-passage');

export { fixtureMaskJson } from '../helpers/fixture.js';

/** The fixture's rows without their padding. */
export function fixtureEncodings(refs: Map<string, Tensor>): PairEncoding[] {
  return unpad(fixtureBatch(refs));
}

/** A deterministic signed score per unit, as a ranking JSON document. */
export function syntheticRanking(site: string, widths: number[], seed: number): Record<string, unknown> {
  const rand = mulberry32(seed);
  return { site, statistic: 'synthetic', values: Object.fromEntries(widths.map((w, l) => [`layer.${l}`, Array.from({ length: w }, () => Math.round((rand() * 2 - 1) * 1e6) / 1e6)])) };
}
