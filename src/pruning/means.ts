/**
 * Per-neuron statistics of the FFN activation (`layer.{l}.ffn.post`) over a reference set of
 * pairs, averaged over real tokens (padding excluded): the mean, which mean ablation substitutes,
 * and the mean |activation|, the magnitude-pruning score. Cached as one JSON file:
 *
 *   { "celens": "ffn-means", "model": "…", "reference": "<pairs>:<hash of their token ids>",
 *     "tokens": 12345,
 *     "mean":     { "site": "layer.{l}.ffn.post", "statistic": "mean", "pairs": 256, "values": {"layer.0": […], …} },
 *     "mean_abs": { "site": "layer.{l}.ffn.post", "statistic": "mean-abs", "pairs": 256, "values": {…} } }
 *
 * Each of `mean` and `mean_abs` is a unit-scores document (ranking.ts), so `mean_abs` can be
 * handed to `--magnitude` on its own.
 */
import { createHash } from 'node:crypto';
import * as tf from '../backend/tf.js';
import { CelensError } from '../errors.js';
import { readTextIfExists, writeFileAtomic } from '../formats/files.js';
import { parseJson } from '../formats/json.js';
import type { BertModel } from '../model/bert.js';
import { bertForward } from '../model/bert.js';
import { disposeInputs, toInputs } from '../model/inputs.js';
import { layerSite } from '../model/sites.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import { padBatch } from '../tokenize/tokenizer.js';
import type { BertConfig } from '../weights/config.js';
import { parseUnitScores, unitScoresToJson } from './ranking.js';
import type { UnitScores } from './ranking.js';

export interface FfnMeans {
  mean: Float32Array[];
  meanAbs: Float32Array[];
  pairs: number;
  tokens: number;
  /** Identifies the reference pairs (count and token ids). */
  reference: string;
}

/** n pairs spread evenly over the list (every (len/n)-th), so every query contributes. */
export function referenceSample<T>(items: readonly T[], n: number): T[] {
  if (n >= items.length) return [...items];
  return Array.from({ length: n }, (_v, i) => items[Math.floor((i * items.length) / n)] as T);
}

function referenceId(encs: readonly PairEncoding[]): string {
  const h = createHash('sha256');
  for (const e of encs) h.update(Int32Array.from(e.inputIds)).update(Int32Array.from(e.tokenTypeIds)).update('|');
  return `${encs.length}:${h.digest('hex').slice(0, 16)}`;
}

export async function ffnMeans(model: BertModel, encs: readonly PairEncoding[], opts: { batchSize?: number } = {}): Promise<FfnMeans> {
  const c = model.config;
  const batchSize = opts.batchSize ?? 32;
  const sums = c.intermediateSizes.map((I) => new Float64Array(I));
  const abs = c.intermediateSizes.map((I) => new Float64Array(I));
  let tokens = 0;
  for (let s = 0; s < encs.length; s += batchSize) {
    const batch = padBatch(encs.slice(s, s + batchSize), c.padTokenId);
    const inputs = toInputs(batch, c);
    const kept: tf.Tensor[] = [];
    try {
      // Per layer: Σ over real tokens of post and |post|, [I] each (kept out of the tidy).
      tf.tidy(() => {
        const m = tf.reshape(tf.cast(inputs.attentionMask, 'float32'), [batch.batch, batch.seqLen, 1]);
        const posts = new Map(Array.from({ length: c.numLayers }, (_v, l) => [layerSite(l, 'ffn.post'), l]));
        bertForward(model, inputs, {
          hook: (site, v) => {
            const l = posts.get(site);
            if (l !== undefined) kept[2 * l] = tf.keep(tf.sum(tf.mul(v, m), [0, 1]));
            if (l !== undefined) kept[2 * l + 1] = tf.keep(tf.sum(tf.mul(tf.abs(v), m), [0, 1]));
            return v;
          },
        });
      });
      for (let l = 0; l < c.numLayers; l++) {
        const a = (await (kept[2 * l] as tf.Tensor).data()) as Float32Array;
        const b = (await (kept[2 * l + 1] as tf.Tensor).data()) as Float32Array;
        (sums[l] as Float64Array).forEach((_v, i, arr) => (arr[i] = (arr[i] as number) + (a[i] as number)));
        (abs[l] as Float64Array).forEach((_v, i, arr) => (arr[i] = (arr[i] as number) + (b[i] as number)));
      }
      tokens += batch.attentionMask.reduce((x, y) => x + y, 0);
    } finally {
      tf.dispose(kept);
      disposeInputs(inputs);
    }
  }
  const div = (v: Float64Array): Float32Array => Float32Array.from(v, (x) => (tokens > 0 ? x / tokens : 0));
  return { mean: sums.map(div), meanAbs: abs.map(div), pairs: encs.length, tokens, reference: referenceId(encs) };
}

/** The mean |activation| as unit scores (the `magnitude` strategy's input). */
export function magnitudeScores(m: FfnMeans, source = 'reference set'): UnitScores {
  return { site: 'layer.{l}.ffn.post', unit: 'neurons', statistic: 'mean-abs', pairs: m.pairs, values: m.meanAbs.map((v) => Float64Array.from(v)), source };
}

export async function writeFfnMeans(file: string, m: FfnMeans, model: string): Promise<void> {
  const doc = (statistic: string, v: Float32Array[]): Record<string, unknown> =>
    unitScoresToJson({ site: 'layer.{l}.ffn.post', statistic, pairs: m.pairs, values: v.map((x) => Float64Array.from(x)) });
  const json = { celens: 'ffn-means', model, reference: m.reference, tokens: m.tokens, mean: doc('mean', m.mean), mean_abs: doc('mean-abs', m.meanAbs) };
  await writeFileAtomic(file, `${JSON.stringify(json)}\n`);
}

/** Reads a means file; undefined when it does not exist. */
export async function readFfnMeans(file: string, c: BertConfig): Promise<FfnMeans | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const raw = parseJson(text, file) as Record<string, unknown> | null;
  if (raw?.celens !== 'ffn-means' || typeof raw.reference !== 'string' || typeof raw.tokens !== 'number') throw new CelensError('not a celens ffn-means file', { file });
  const mean = parseUnitScores(raw.mean, c, `${file}: mean`);
  const meanAbs = parseUnitScores(raw.mean_abs, c, `${file}: mean_abs`);
  if (mean.unit !== 'neurons' || meanAbs.unit !== 'neurons') throw new CelensError('means must be per FFN neuron', { file });
  const f32 = (s: UnitScores): Float32Array[] => s.values.map((v) => Float32Array.from(v));
  return { mean: f32(mean), meanAbs: f32(meanAbs), pairs: mean.pairs ?? 0, tokens: raw.tokens, reference: raw.reference };
}
