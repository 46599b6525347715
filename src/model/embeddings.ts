/** BertEmbeddings: word + token type + position, then LayerNorm (HF modeling_bert.py order). */
import * as tf from '../backend/tf.js';
import type { BertWeights } from './params.js';

/**
 * ids, types: [B,T] int32. `words` replaces the word-embedding lookup (a path point of NIG);
 * position and token-type embeddings always come from the real input.
 */
export function embed(w: BertWeights, ids: tf.Tensor2D, types: tf.Tensor2D, words?: tf.Tensor3D): tf.Tensor3D {
  const T = ids.shape[1];
  const H = w.wordEmbeddings.shape[1];
  const x = words ?? lookup(w.wordEmbeddings, ids);
  const tt = lookup(w.tokenTypeEmbeddings, types);
  const pos = tf.slice(w.positionEmbeddings, [0, 0], [T, H]); // [T,H], broadcast over B
  return tf.add(tf.add(x, tt), pos) as tf.Tensor3D; // [B,T,H]
}

/** Rows of `table` for `ids` [B,T] → [B,T,H]. */
export function lookup(table: tf.Tensor2D, ids: tf.Tensor2D): tf.Tensor3D {
  const [B, T] = ids.shape;
  return tf.reshape(tf.gather(table, tf.reshape(ids, [-1])), [B, T, table.shape[1]]);
}
