/**
 * The wasm Identity (src/backend/identity.ts) shares its input's data instead of copying it: a
 * clone reads the same values, outlives its source, frees the buffer only with the last tensor,
 * and a custom gradient's saved tensors no longer grow the heap.
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';

interface BackendDataIds {
  numDataIds(): number;
}
const dataIds = (): number => (tf.backend() as unknown as BackendDataIds).numDataIds();

beforeAll(async () => {
  await selectBackend('wasm');
});

test.each(['float32', 'int32', 'bool'] as const)('tf.clone of a %s tensor shares its buffer, outlives its source and frees it last', async (dtype) => {
  const before = { tensors: tf.memory().numTensors, ids: dataIds() };
  const vals = Array.from({ length: 12 }, (_v, i) => (dtype === 'bool' ? i % 2 : dtype === 'int32' ? i * 3 - 7 : i * 0.25 - 1));
  const x = tf.tensor(vals, [3, 4], dtype);
  const y = tf.clone(x);
  expect(y.dataId).toBe(x.dataId); // tfjs' wasm kernel made a new buffer here
  expect(dataIds()).toBe(before.ids + 1);
  x.dispose();
  expect(y.shape).toEqual([3, 4]);
  expect(y.dtype).toBe(dtype);
  expect(Array.from(await y.data())).toEqual(vals);
  y.dispose();
  expect(dataIds()).toBe(before.ids);
  expect(tf.memory().numTensors).toBe(before.tensors);
});

test('a string tensor still goes to tfjs kernel', () => {
  const x = tf.tensor(['a', 'bc'], [2], 'string');
  const y = tf.clone(x);
  expect(y.dataSync()).toEqual(['a', 'bc']);
  tf.dispose([x, y]);
});

test('operations on a clone do not change its source (tensors stay immutable)', async () => {
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  const z = tf.add(y, 1);
  const v = tf.variable(tf.clone(x));
  v.assign(tf.tensor1d([7, 8, 9]));
  expect(Array.from(await x.data())).toEqual([1, 2, 3]);
  expect(Array.from(await y.data())).toEqual([1, 2, 3]);
  expect(Array.from(await z.data())).toEqual([2, 3, 4]);
  expect(Array.from(await v.data())).toEqual([7, 8, 9]);
  tf.dispose([x, y, z, v]);
});

test("a custom gradient's saved tensors share the forward's buffers and its gradient is unchanged", async () => {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.mul(x, x);
    save([x, y]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.mul(saved[0] as tf.Tensor, 2))] };
  });
  const before = dataIds();
  const x = tf.tensor1d([1, -2, 3]);
  let during = 0;
  const g = tf.grad((t: tf.Tensor) => {
    const y = f(t) as tf.Tensor;
    during = dataIds() - before; // x and y, and nothing for the two saved tensors
    return tf.sum(y);
  })(x);
  expect(during).toBe(2);
  expect(Array.from(await g.data())).toEqual([2, -4, 6]); // d/dx Σx² = 2x
  tf.dispose([x, g]);
  expect(dataIds()).toBe(before);
});
