/**
 * Pinned rows (src/training/pins.ts): gradients of the listed rows are zeroed and nothing else is
 * touched; after an update that moved every row (as weight decay does), restore puts exactly the
 * listed rows back to their values at pinning time; bad names, rows and tokens are errors naming them.
 */
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { RowPins, rowsOfTokens } from '../../src/training/pins.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const rowsOf = (t: tf.Tensor): number[][] => t.arraySync() as number[][];

test('maskGrads zeroes the pinned rows only; restore puts them back bit for bit', () => {
  const before = tf.memory().numTensors;
  const start = [[1, 2], [3, 4], [5, 6], [7, 8]];
  const x = tf.tidy(() => tf.variable(tf.tensor2d(start)));
  const other = tf.tidy(() => tf.variable(tf.tensor1d([9, 9])));
  const vars = new Map<string, tf.Variable>([['emb', x], ['b', other]]);
  const pins = new RowPins(vars, [{ name: 'emb', rows: [1, 3] }]);
  const grads = new Map<string, tf.Tensor>([['emb', tf.ones([4, 2])], ['b', tf.ones([2])]]);
  pins.maskGrads(grads);
  expect(rowsOf(grads.get('emb') as tf.Tensor)).toEqual([[1, 1], [0, 0], [1, 1], [0, 0]]);
  expect((grads.get('b') as tf.Tensor).arraySync()).toEqual([1, 1]);
  // An update that moves every row (a decay and a step), then the pins.
  tf.tidy(() => x.assign(tf.sub(tf.mul(x, 0.5), 0.25)));
  pins.restore(vars);
  expect(rowsOf(x)).toEqual([[0.25, 0.75], [3, 4], [2.25, 2.75], [7, 8]]);
  tf.dispose([...grads.values()]);
  pins.dispose();
  tf.dispose([x, other]);
  expect(tf.memory().numTensors).toBe(before);
});

test('a pin is made of the values at pinning time, not of later ones', () => {
  const x = tf.tidy(() => tf.variable(tf.tensor2d([[1], [2]])));
  const vars = new Map([['e', x]]);
  const pins = new RowPins(vars, [{ name: 'e', rows: [0] }]);
  tf.tidy(() => x.assign(tf.tensor2d([[10], [20]])));
  pins.restore(vars);
  expect(rowsOf(x)).toEqual([[1], [20]]);
  pins.dispose();
  x.dispose();
});

test('unknown parameter and out-of-range rows are errors that name them', () => {
  const x = tf.tidy(() => tf.variable(tf.zeros([3, 2])));
  const vars = new Map([['emb', x]]);
  expect(() => new RowPins(vars, [{ name: 'nope', rows: [0] }])).toThrow(/no parameter nope \(have emb\)/);
  expect(() => new RowPins(vars, [{ name: 'emb', rows: [3] }])).toThrow(/row 3 is out of range for emb \(3 rows\)/);
  expect(() => new RowPins(vars, [{ name: 'emb', rows: [-1] }])).toThrow(/row -1/);
  x.dispose();
});

test('tokens are looked up in the vocabulary; an unknown token names file and line', () => {
  const vocab = ['[PAD]', 'the', 'of', '##s'];
  expect(rowsOfTokens(['of', 'the', '', 'of'], vocab, 'm.txt').sort()).toEqual([1, 2]);
  expect(() => rowsOfTokens(['the', 'zebra'], vocab, 'm.txt')).toThrow('m.txt:2: token "zebra" is not in the model\'s vocab.txt');
});
