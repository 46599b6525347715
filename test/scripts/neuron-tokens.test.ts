/**
 * scripts/neuron-tokens.ts counts, per neuron, the tokens at which its pre-activation is > 0. On a
 * hand-made batch whose answer is known: padded positions never count, a value of exactly 0 is not
 * a firing, ties go to the lower token id, a neuron that never fires has no top token, and a batch
 * of the wrong size is refused.
 */
import { addBatch, emptyCounts, summarize } from '../../scripts/neuron-tokens.js';

// Two sequences of 3 positions; the last position of the second is padding (token 0).
const batch = { inputIds: [5, 7, 5, 7, 9, 0], attentionMask: [1, 1, 1, 1, 1, 0] };
// 3 neurons per position: n0 fires on every 5 (and on the padding, which must not count);
// n1 fires once on 7 and once on 9 (a tie: the lower id wins); n2 is exactly 0 or negative everywhere.
const pre = new Float32Array([
  1, -1, 0, //  pos 0: token 5
  -1, 2, 0, //  pos 1: token 7
  3, -1, -2, // pos 2: token 5
  -1, -1, 0, // pos 3: token 7
  -1, 4, 0, //  pos 4: token 9
  9, 9, 9, //   pos 5: padding
]);

test('counts firings per neuron and token, and occurrences per token, over unpadded positions', () => {
  const c = emptyCounts(3);
  addBatch(c, batch, pre, 3);
  expect([...(c.byNeuron[0] as Map<number, number>)]).toEqual([[5, 2]]);
  expect(new Map(c.byNeuron[1])).toEqual(new Map([[7, 1], [9, 1]]));
  expect((c.byNeuron[2] as Map<number, number>).size).toBe(0);
  expect(new Map(c.occurrences)).toEqual(new Map([[5, 2], [7, 2], [9, 1]]));
  const s = summarize(c);
  expect(s[0]).toEqual({ neuron: 0, firings: 2, top: 5, topFirings: 2, topOccurrences: 2 });
  expect(s[1]).toEqual({ neuron: 1, firings: 2, top: 7, topFirings: 1, topOccurrences: 2 });
  expect(s[2]).toEqual({ neuron: 2, firings: 0, top: -1, topFirings: 0, topOccurrences: 0 });
});

test('batches add up', () => {
  const c = emptyCounts(3);
  addBatch(c, batch, pre, 3);
  addBatch(c, batch, pre, 3);
  expect(summarize(c)[0]).toEqual({ neuron: 0, firings: 4, top: 5, topFirings: 4, topOccurrences: 4 });
});

test('refuses activations that do not match the batch', () => {
  expect(() => addBatch(emptyCounts(3), batch, pre.subarray(0, 15), 3)).toThrow(/15 values for 6 positions × 3 neurons/);
});
