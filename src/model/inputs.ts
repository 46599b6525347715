/**
 * Token batches (plain arrays) → validated model inputs. Every check happens here, in JS, so a bad
 * id or an over-long sequence is a ShapeError naming the tensor — never a crash deep in tfjs or a
 * silent out-of-range gather (tfjs clamps gather indices on some backends).
 */
import * as tf from '../backend/tf.js';
import { ShapeError } from '../errors.js';
import type { BertConfig } from '../weights/config.js';
import type { BertInputs } from './bert.js';
import { writeSafetensors } from '../weights/safetensors-write.js';
import { SafetensorsReader } from '../weights/safetensors.js';
import { toInt32 } from '../weights/dtypes.js';
import type { TokenBatch } from '../tokenize/encode.js';

function validateBatch(b: TokenBatch, c: BertConfig, file?: string): void {
  const n = b.batch * b.seqLen;
  const place = (tensor: string): { file?: string; tensor: string } => (file === undefined ? { tensor } : { file, tensor });
  for (const [name, arr] of [
    ['input_ids', b.inputIds],
    ['token_type_ids', b.tokenTypeIds],
    ['attention_mask', b.attentionMask],
  ] as const) {
    if (arr.length !== n) throw new ShapeError('wrong number of elements', { ...place(name), expected: `${n} ([${b.batch}, ${b.seqLen}])`, found: `${arr.length}` });
  }
  if (b.seqLen > c.maxPositionEmbeddings) {
    throw new ShapeError(`sequence length ${b.seqLen} exceeds the model's max_position_embeddings ${c.maxPositionEmbeddings}`, place('input_ids'));
  }
  if (b.batch < 1 || b.seqLen < 1) throw new ShapeError(`empty batch [${b.batch}, ${b.seqLen}]`, place('input_ids'));
  const check = (name: string, arr: Int32Array, limit: number, what: string): void => {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i] as number;
      if (v < 0 || v >= limit) {
        throw new ShapeError(`value ${v} at [${Math.floor(i / b.seqLen)}, ${i % b.seqLen}] is outside ${what} 0…${limit - 1}`, place(name));
      }
    }
  };
  check('input_ids', b.inputIds, c.vocabSize, 'the vocabulary');
  check('token_type_ids', b.tokenTypeIds, c.typeVocabSize, 'the token types');
  check('attention_mask', b.attentionMask, 2, 'the mask values');
  for (let r = 0; r < b.batch; r++) {
    if (b.attentionMask[r * b.seqLen] !== 1) throw new ShapeError(`row ${r} has no real token at position 0`, place('attention_mask'));
  }
}

/** Validates and makes int32 tensors (the caller disposes them, e.g. with tf.dispose(Object.values(x))). */
export function toInputs(b: TokenBatch, c: BertConfig, file?: string): BertInputs {
  validateBatch(b, c, file);
  const shape: [number, number] = [b.batch, b.seqLen];
  return {
    inputIds: tf.tensor2d(b.inputIds, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, shape, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, shape, 'int32'),
  };
}

/** Frees the tensors of model inputs made by toInputs. */
export function disposeInputs(x: BertInputs): void {
  tf.dispose([x.inputIds, x.tokenTypeIds, x.attentionMask, ...(x.wordEmbeddings ? [x.wordEmbeddings] : [])]);
}

/**
 * Writes a batch as HF tokenizers return it with `return_tensors='pt'`: `input_ids`,
 * `token_type_ids` and `attention_mask`, I64 [batch, seq]; readTokenBatch (and so `forward` and
 * `attribute --inputs`) reads it back.
 */
export async function writeTokenBatch(file: string, b: TokenBatch): Promise<void> {
  const shape = [b.batch, b.seqLen];
  const i64 = (a: ArrayLike<number>): BigInt64Array => BigInt64Array.from(Array.from(a), (v) => BigInt(v));
  await writeSafetensors(file, {
    input_ids: { dtype: 'I64', shape, data: i64(b.inputIds) },
    token_type_ids: { dtype: 'I64', shape, data: i64(b.tokenTypeIds) },
    attention_mask: { dtype: 'I64', shape, data: i64(b.attentionMask) },
  });
}

/**
 * Reads input_ids / attention_mask / token_type_ids (I64 or I32, [B,T]) from a safetensors file;
 * names may carry an `inputs.` prefix (as in the shared fixture); token_type_ids default to 0.
 */
export async function readTokenBatch(file: string): Promise<TokenBatch> {
  const r = await SafetensorsReader.open(file);
  try {
    const prefix = r.info('input_ids') === undefined && r.info('inputs.input_ids') !== undefined ? 'inputs.' : '';
    const ids = r.info(`${prefix}input_ids`);
    if (!ids) throw new ShapeError('missing tensor (inputs need input_ids and attention_mask; token_type_ids optional)', { file, tensor: 'input_ids' });
    if (ids.shape.length !== 2) throw new ShapeError('must be 2-D [batch, seq]', { file, tensor: 'input_ids', found: JSON.stringify(ids.shape) });
    const [batch, seqLen] = ids.shape as [number, number];
    const read = async (base: string, required: boolean): Promise<Int32Array> => {
      const name = prefix + base;
      const info = r.info(name);
      if (!info) {
        if (required) throw new ShapeError('missing tensor', { file, tensor: name });
        return new Int32Array(batch * seqLen);
      }
      if (info.shape.length !== 2 || info.shape[0] !== batch || info.shape[1] !== seqLen) {
        throw new ShapeError('shape differs from input_ids', { file, tensor: name, expected: JSON.stringify(ids.shape), found: JSON.stringify(info.shape) });
      }
      return toInt32((await r.read(name)).data, { file, tensor: name });
    };
    return {
      inputIds: await read('input_ids', true),
      attentionMask: await read('attention_mask', true),
      tokenTypeIds: await read('token_type_ids', false),
      batch,
      seqLen,
    };
  } finally {
    await r.close();
  }
}

