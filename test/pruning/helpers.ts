/** Shared by the pruning tests: the fixture's prune masks as mask JSON, its pairs as encodings. */
import { join } from 'node:path';
import type { Tensor } from '../../src/weights/safetensors.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';
import { seededRandom } from '../../src/pruning/random.js';
import { fixtureBatch, ref } from '../helpers/fixture.js';

export const MINILM = join(process.cwd(), '../shared/data/ms-marco-MiniLM-L-6-v2');
export const DL20 = join(process.cwd(), '../shared/data/trec-dl-2020-passage');

const zeros = (d: ArrayLike<number>, from = 0, n = d.length): number[] => Array.from({ length: n }, (_v, i) => i).filter((i) => d[from + i] === 0);

/** `prune.neuron_mask.layer{l}` and `prune.head_mask` as mask JSON (index lists of the zeros). */
export function fixtureMaskJson(refs: Map<string, Tensor>): { neurons: Record<string, number[]>; heads: Record<string, number[]> } {
  const neurons: Record<string, number[]> = {};
  for (const name of refs.keys()) {
    const m = /^prune\.neuron_mask\.layer(\d+)$/.exec(name);
    if (m) neurons[`layer.${m[1]}.ffn`] = zeros(ref(refs, name).data as Float32Array);
  }
  const hm = ref(refs, 'prune.head_mask');
  const [L, NH] = hm.shape as [number, number];
  const heads: Record<string, number[]> = {};
  for (let l = 0; l < L; l++) {
    const z = zeros(hm.data as Float32Array, l * NH, NH);
    if (z.length) heads[`layer.${l}.attn.heads`] = z;
  }
  return { neurons, heads };
}

/** The fixture's rows without their padding. */
export function fixtureEncodings(refs: Map<string, Tensor>): PairEncoding[] {
  const b = fixtureBatch(refs);
  return Array.from({ length: b.batch }, (_v, r) => {
    const row = (a: Int32Array): number[] => Array.from(a.subarray(r * b.seqLen, (r + 1) * b.seqLen));
    const n = row(b.attentionMask).reduce((x, y) => x + y, 0);
    return { inputIds: row(b.inputIds).slice(0, n), tokenTypeIds: row(b.tokenTypeIds).slice(0, n) };
  });
}

/** A deterministic signed score per unit, as a ranking JSON document. */
export function syntheticRanking(site: string, widths: number[], seed: number): Record<string, unknown> {
  const rand = seededRandom(seed);
  return { site, statistic: 'synthetic', values: Object.fromEntries(widths.map((w, l) => [`layer.${l}`, Array.from({ length: w }, () => Math.round((rand() * 2 - 1) * 1e6) / 1e6)])) };
}
