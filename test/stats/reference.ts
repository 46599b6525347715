/** test/fixtures/stats/reference.json (scipy and first principles; see its README), typed. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface PairedSample {
  name: string;
  baseline: number[];
  run: number[];
  n: number;
  meanDiff: number;
  t: number;
  pT: number;
  pRandomizationExact?: number;
  pRandomizationBruteForce?: number;
  ranks?: { baseline: number[]; run: number[] };
}

export interface Reference {
  paired: PairedSample[];
  studentT: Array<{ t: number; df: number; cdf: number; twoSided: number }>;
  corrections: Array<{ p: number[]; holm: number[]; bonferroni: number[] }>;
}

export const REFERENCE = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/stats/reference.json'), 'utf8')) as Reference;

export function sample(name: string): PairedSample {
  const s = REFERENCE.paired.find((p) => p.name === name);
  if (!s) throw new Error(`no sample ${name} in the reference`);
  return s;
}

/** |actual − expected| ≤ rel · |expected| (or ≤ abs near 0). */
export function expectClose(actual: number, expected: number, rel: number, abs = 0): void {
  const tol = Math.max(rel * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`expected ${expected} within ${tol}, found ${actual}`);
}
