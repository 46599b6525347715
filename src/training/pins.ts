/**
 * Rows of a parameter that training leaves where they are (`--freeze-rows`): e.g. the word-embedding
 * rows of the tokens whose IDF an initialisation wrote into layer 0's FFN, so that training cannot
 * move that work into the embeddings. Two things keep a row fixed, both needed:
 *
 * - its gradient rows are zeroed before clipping, so it takes no part in the global norm and its
 *   AdamW moments stay 0 (the calling thread does this; workers receive the zeroed gradients);
 * - after each AdamW update the rows are put back (`restore`), which undoes weight decay — every
 *   thread does this on its own copy, so the copies stay bit-identical.
 *
 * A pinned row's value is the one it has when the pins are made (the start of a run; resumed runs
 * pin the checkpoint's rows, which are the same while the rows stay pinned throughout).
 */
import * as tf from '../backend/tf.js';

/** The rows (first-axis indices) of one parameter that stay fixed. */
export interface PinnedRows {
  name: string;
  rows: number[];
}

interface Pin {
  name: string;
  /** 1 for rows that train, 0 for pinned rows, broadcast over the row. */
  keep: tf.Tensor;
  pinned: tf.Tensor;
  initial: tf.Tensor;
}

export class RowPins {
  private readonly pins: Pin[];

  /** Pins `specs` of `vars` at their current values; a bad name or row index is an error naming it. */
  constructor(vars: ReadonlyMap<string, tf.Variable>, specs: readonly PinnedRows[]) {
    this.pins = specs.map((s) => {
      const x = vars.get(s.name);
      if (!x) throw new Error(`--freeze-rows: no parameter ${s.name} (have ${[...vars.keys()].join(', ')})`);
      const n = x.shape[0] as number;
      const bad = s.rows.find((r) => !Number.isInteger(r) || r < 0 || r >= n);
      if (bad !== undefined) throw new Error(`--freeze-rows: row ${bad} is out of range for ${s.name} (${n} rows)`);
      const inner = x.size / n;
      const keep = new Float32Array(x.size).fill(1);
      for (const r of s.rows) keep.fill(0, r * inner, (r + 1) * inner);
      return {
        name: s.name,
        keep: tf.tensor(keep, x.shape),
        pinned: tf.tensor(Uint8Array.from(keep, (k) => 1 - k), x.shape, 'bool'),
        initial: tf.clone(x),
      };
    });
  }

  get size(): number {
    return this.pins.length;
  }

  /** Zeroes the pinned rows of the gradients in place (the replaced tensors are disposed). */
  maskGrads(grads: Map<string, tf.Tensor>): void {
    for (const p of this.pins) {
      const g = grads.get(p.name);
      if (!g) continue;
      grads.set(p.name, tf.mul(g, p.keep));
      g.dispose();
    }
  }

  /** Puts the pinned rows back to their values (after an optimiser step). */
  restore(vars: ReadonlyMap<string, tf.Variable>): void {
    for (const p of this.pins) {
      const x = vars.get(p.name) as tf.Variable;
      const kept = tf.where(p.pinned, p.initial, x);
      x.assign(kept);
      kept.dispose();
    }
  }

  dispose(): void {
    for (const p of this.pins) tf.dispose([p.keep, p.pinned, p.initial]);
  }
}

/** Rows of a vocabulary-indexed parameter: `tokens` (one a line) looked up in `vocab` (vocab.txt's lines). */
export function rowsOfTokens(tokens: readonly string[], vocab: readonly string[], file: string): number[] {
  const ix = new Map(vocab.map((t, i) => [t, i]));
  const rows = new Set<number>();
  tokens.forEach((t, line) => {
    if (t === '') return;
    const i = ix.get(t);
    if (i === undefined) throw new Error(`${file}:${line + 1}: token ${JSON.stringify(t)} is not in the model's vocab.txt`);
    rows.add(i);
  });
  return [...rows];
}
