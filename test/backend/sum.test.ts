/**
 * Sum over leading axes on the native addon (src/backend/sum.ts, native/reduce.c) against tfjs'
 * own wasm kernel, which transposes the reduced axes to the end and adds each output's elements in
 * order from 0: the native kernel must give the same bits. Inputs span many magnitudes, so adding
 * in another order (pairwise, by blocks, in reverse) changes the bits and fails. Also: the shapes
 * and keepDims of tfjs, the fallbacks (other axes, int32, empty), and no tensor left behind.
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { isCelensKernel } from '../../src/backend/replace-kernel.js';
import { nativeStatus, useNative } from '../../src/backend/native.js';
import { mulberry32 } from '../../src/util/random.js';

/** Values of mixed sign over 12 orders of magnitude. */
function values(n: number, seed: number): Float32Array {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => {
    const u = rng();
    return (u < 0.5 ? -1 : 1) * 10 ** (12 * ((u * 2) % 1) - 6);
  });
}

const NATIVE = useNative(true);

/** tf.sum with the native kernels on or off: values, shape. */
function sum(x: tf.Tensor, axis: number | number[], keepDims: boolean, native: boolean): { bits: Buffer; shape: number[] } {
  useNative(native);
  try {
    return tf.tidy(() => {
      const y = tf.sum(x, axis, keepDims);
      return { bits: Buffer.from((y.dataSync() as Float32Array).slice().buffer), shape: y.shape };
    });
  } finally {
    useNative(true);
  }
}

// [shape, axes, keepDims]
const CASES: Array<[number[], number | number[], boolean]> = [
  [[3072, 256], 0, false], // a bias's gradient
  [[3072, 1024], [0], true],
  [[32, 96, 256], [0, 1], false], // over batch and tokens
  [[32, 96, 256], [0, 1], true],
  [[5, 7, 3], -3, false], // a negative axis
  [[1, 17], 0, false],
  [[1000, 1], 0, false],
  [[2, 3, 4, 5], [0, 1, 2], false],
];

(NATIVE ? describe : describe.skip)('native Sum over leading axes', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  test('replaces wasm\'s Sum where the native kernels run', () => {
    expect(isCelensKernel('Sum')).toBe(true);
    expect(nativeStatus().isa).not.toBeNull();
  });

  test.each(CASES)('shape %j, axes %j, keepDims %s: tfjs\' bits and shape', (shape, axis, keepDims) => {
    const x = tf.tensor(values(shape.reduce((a, b) => a * b, 1), shape.length + 7), shape);
    const before = tf.memory().numTensors;
    const ours = sum(x, axis, keepDims, true);
    const theirs = sum(x, axis, keepDims, false);
    expect(ours.shape).toEqual(theirs.shape);
    expect(ours.bits.equals(theirs.bits)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  test('another order of the same additions gives other bits (so the comparison above can fail)', () => {
    const [R, C] = [3072, 256];
    const v = values(R * C, 9);
    const flipped = new Float32Array(R * C);
    for (let r = 0; r < R; r++) flipped.set(v.subarray(r * C, (r + 1) * C), (R - 1 - r) * C);
    const x = tf.tensor2d(v, [R, C]);
    const y = tf.tensor2d(flipped, [R, C]);
    expect(sum(x, 0, false, true).bits.equals(sum(y, 0, false, true).bits)).toBe(false);
    // tfjs' order for axes given as [1, 0] (tokens outer, batch inner) also differs from [0, 1]'s.
    const z = tf.tensor3d(v, [96, 32, C]);
    expect(sum(z, [1, 0], false, false).bits.equals(sum(z, [0, 1], false, true).bits)).toBe(false);
    expect(sum(z, [1, 0], false, true).bits.equals(sum(z, [1, 0], false, false).bits)).toBe(true);
    tf.dispose([x, y, z]);
  });

  test('other axes, int32 and empty tensors go to tfjs\' kernel, with its results', () => {
    const x = tf.tensor3d(values(2 * 3 * 4, 3), [2, 3, 4]);
    for (const axis of [1, 2, [0, 2], [1, 2]]) {
      const a = sum(x, axis, false, true);
      const b = sum(x, axis, false, false);
      expect(a.shape).toEqual(b.shape);
      expect(a.bits.equals(b.bits)).toBe(true);
    }
    const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    expect(Array.from(tf.sum(i, 0).dataSync())).toEqual([9, 12]);
    const empty = tf.zeros([0, 4]);
    for (const native of [true, false]) {
      useNative(native);
      expect(Array.from(tf.sum(empty, 0).dataSync())).toEqual([0, 0, 0, 0]);
      expect(Array.from(tf.sum(empty).dataSync())).toEqual([0]);
      useNative(true);
    }
    tf.dispose([x, i, empty]);
  });
});
