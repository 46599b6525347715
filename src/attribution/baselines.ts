/**
 * Segments and baselines, read from the input itself so they work on `--inputs` files with no
 * tokenizer: `[CLS] query [SEP]` has token type 0, `passage [SEP]` type 1, padding is masked.
 */
import { ShapeError } from '../errors.js';
import type { TokenBatch } from '../tokenize/encode.js';

/** Positions of one row (end-exclusive ranges). */
export interface Segments {
  length: number;
  cls: number;
  query: [number, number];
  sep1: number;
  passage: [number, number];
  sep2: number;
}

export const SEGMENT_NAMES = ['cls', 'query', 'sep1', 'passage', 'sep2'] as const;
export type SegmentName = (typeof SEGMENT_NAMES)[number];

/** Segment index (0…4) of each position of a row, −1 on padding. */
export function segmentIndex(s: Segments, T: number): Int8Array {
  const out = new Int8Array(T).fill(-1);
  out[s.cls] = 0;
  for (let t = s.query[0]; t < s.query[1]; t++) out[t] = 1;
  out[s.sep1] = 2;
  for (let t = s.passage[0]; t < s.passage[1]; t++) out[t] = 3;
  out[s.sep2] = 4;
  return out;
}

export function rowSegments(b: TokenBatch, row: number): Segments {
  const T = b.seqLen;
  const at = (a: Int32Array, t: number): number => a[row * T + t] as number;
  let length = 0;
  while (length < T && at(b.attentionMask, length) === 1) length++;
  for (let t = length; t < T; t++) {
    if (at(b.attentionMask, t) !== 0) throw new ShapeError(`row ${row}: attention_mask is not 1…1 0…0 (right padding)`, { tensor: 'attention_mask' });
  }
  let sep1 = 0;
  while (sep1 + 1 < length && at(b.tokenTypeIds, sep1 + 1) === 0) sep1++;
  for (let t = sep1 + 1; t < length; t++) {
    if (at(b.tokenTypeIds, t) !== 1) throw new ShapeError(`row ${row}: token_type_ids are not 0…0 1…1 over the real tokens`, { tensor: 'token_type_ids' });
  }
  const sep2 = length - 1;
  if (sep1 < 1 || sep2 <= sep1) {
    throw new ShapeError(`row ${row}: no [CLS] query [SEP] passage [SEP] layout (token types 0 then 1) in its ${length} tokens`, { tensor: 'token_type_ids' });
  }
  return { length, cls: 0, query: [1, sep1], sep1, passage: [sep1 + 1, sep2], sep2 };
}

/**
 * `padq`: query tokens → [PAD] (the paper's default); `padqp`: query and passage tokens → [PAD];
 * `pad`: every real token → [PAD]; `unkq`/`unkqp`/`unk` the same with [UNK]; `zero`: zero word
 * embeddings (no ids). [CLS]/[SEP] are kept except by `pad`/`unk`; padding stays padding.
 */
export type BaselineKind = 'padq' | 'padqp' | 'pad' | 'unkq' | 'unkqp' | 'unk' | 'zero';
export const BASELINES: readonly BaselineKind[] = ['padq', 'padqp', 'pad', 'unkq', 'unkqp', 'unk', 'zero'];

/** Baseline ids for every row, or undefined for `zero`. */
export function baselineIds(kind: BaselineKind, b: TokenBatch, ids: { pad: number; unk?: number | undefined }): Int32Array | undefined {
  if (kind === 'zero') return undefined;
  const fill = kind.startsWith('unk') ? ids.unk : ids.pad;
  if (fill === undefined) throw new ShapeError(`baseline '${kind}' needs the [UNK] token id (give unkId, or a model folder with tokenizer files)`);
  const out = b.inputIds.slice();
  const T = b.seqLen;
  for (let r = 0; r < b.batch; r++) {
    const s = rowSegments(b, r);
    const ranges: Array<[number, number]> =
      kind === 'padq' || kind === 'unkq'
        ? [s.query]
        : kind === 'padqp' || kind === 'unkqp'
          ? [s.query, s.passage]
          : [[0, s.length]];
    for (const [a, e] of ranges) out.fill(fill, r * T + a, r * T + e);
  }
  return out;
}
