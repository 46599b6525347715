/** The wasm Slice (src/backend/slice.ts) gives exactly tf.slice's values, for every kind of slice. */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';

const CASES: Array<{ shape: number[]; begin: number[]; size: number[]; dtype: 'float32' | 'int32' | 'bool' }> = [
  { shape: [5, 2, 3, 4], begin: [1, 0, 0, 0], size: [3, 2, 3, 4], dtype: 'float32' }, // contiguous, leading axis
  { shape: [5, 2, 3, 4], begin: [4, 0, 0, 0], size: [1, -1, -1, -1], dtype: 'float32' },
  { shape: [6, 7], begin: [2, 3], size: [1, 4], dtype: 'int32' }, // contiguous inside one row
  { shape: [6, 7], begin: [1, 2], size: [3, 4], dtype: 'float32' }, // strided: tfjs' kernel
  { shape: [2, 5, 3], begin: [0, 0, 0], size: [2, 1, 3], dtype: 'float32' }, // the pooler's [CLS] slice
  { shape: [9], begin: [3], size: [4], dtype: 'bool' },
  { shape: [4, 3], begin: [2, 0], size: [0, 3], dtype: 'float32' }, // empty
];

test.each(CASES)('slice %j equals the expected elements on wasm', async ({ shape, begin, size, dtype }) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const vals = Array.from({ length: n }, (_v, i) => (dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i * 7 - 20 : i * 0.37 - 5));
  // Expected elements from first principles: row-major indices of the box begin..begin+size.
  const sz = size.map((s, d) => (s === -1 ? (shape[d] as number) - (begin[d] as number) : s));
  const strides = shape.map((_v, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const expected: number[] = [];
  const total = sz.reduce((a, b) => a * b, 1);
  for (let k = 0; k < total; k++) {
    let rem = k;
    let flat = 0;
    for (let d = sz.length - 1; d >= 0; d--) {
      const i = rem % (sz[d] as number);
      rem = Math.floor(rem / (sz[d] as number));
      flat += ((begin[d] as number) + i) * (strides[d] as number);
    }
    const v = vals[flat] as number | boolean;
    expected.push(typeof v === 'boolean' ? Number(v) : Math.fround(v));
  }
  await selectBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor(vals as number[], shape, dtype);
  const y = tf.slice(x, begin, size);
  expect(y.shape).toEqual(sz);
  expect(Array.from(await y.data()).map(Number)).toEqual(expected);
  tf.dispose([x, y]);
  expect(tf.memory().numTensors).toBe(before);
});
