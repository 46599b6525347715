/**
 * Property tests (fast-check, bounded runs): safetensors write → read is the identity for every
 * dtype and shape; the IR measures stay in [0, 1], a perfect run scores 1 and ties follow
 * trec_eval's rule whatever the file order; the pair tokenizer never exceeds max_length and always
 * keeps `[CLS] query [SEP] passage [SEP]` with token types 0…0 1…1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { DTYPE_SIZES, halfToFloat } from '../../src/weights/dtypes.js';
import type { Dtype } from '../../src/weights/dtypes.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { writeSafetensors } from '../../src/weights/safetensors-write.js';
import type { TensorToWrite } from '../../src/weights/safetensors-write.js';
import { evaluate } from '../../src/ir/metrics/index.js';
import type { Qrels, Run, RunEntry } from '../../src/ir/collection.js';
import { compareBytes } from '../../src/ir/trec.js';
import { loadTokenizer } from '../../src/tokenize/load.js';
import type { PairTokenizer } from '../../src/tokenize/encode.js';

const SHARED = resolve(process.cwd(), '../shared');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'celens-props-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// safetensors

const INT_RANGE: Partial<Record<Dtype, [number, number]>> = { I32: [-(2 ** 31), 2 ** 31 - 1], I16: [-32768, 32767], I8: [-128, 127], U8: [0, 255], BOOL: [0, 1] };
const f32FromBits = (bits: number): number => new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0] as number;

/** Values of `dtype` that the format holds exactly, and what reading them gives back. */
function values(dtype: Dtype, n: number): fc.Arbitrary<{ data: number[] | BigInt64Array; want: ArrayLike<number | bigint> }> {
  const list = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(a, { minLength: n, maxLength: n });
  const same = (xs: number[]): { data: number[]; want: number[] } => ({ data: xs, want: xs });
  switch (dtype) {
    case 'F32': return list(fc.float()).map(same);
    case 'F64': return list(fc.double()).map((xs) => ({ data: xs, want: xs.map(Math.fround) })); // widened to float32 on read
    case 'F16': return list(fc.integer({ min: 0, max: 0xffff })).map((b) => same(b.map(halfToFloat)));
    case 'BF16': return list(fc.integer({ min: 0, max: 0xffff })).map((b) => same(b.map((x) => f32FromBits(x << 16))));
    case 'I64': return list(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map((xs) => ({ data: BigInt64Array.from(xs), want: xs }));
    default: {
      const [min, max] = INT_RANGE[dtype] as [number, number];
      return list(fc.integer({ min, max })).map(same);
    }
  }
}

const tensorArb = fc
  .record({ dtype: fc.constantFrom(...(Object.keys(DTYPE_SIZES) as Dtype[])), shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }) })
  .chain(({ dtype, shape }) => values(dtype, shape.reduce((a, b) => a * b, 1)).map((v) => ({ dtype, shape, ...v })));

const sameValue = (a: number | bigint, b: number | bigint): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

test('safetensors: write → read gives back every dtype, shape, name and metadata', async () => {
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'), tensorArb, { maxKeys: 4 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
      async (tensors, metadata) => {
        const file = join(tmp, `rt-${run++}.safetensors`);
        const map = new Map<string, TensorToWrite>(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
        await writeSafetensors(file, map, metadata);
        const back = await readSafetensors(file);
        expect(back.metadata).toEqual(metadata);
        expect([...back.tensors.keys()].sort()).toEqual(Object.keys(tensors).sort());
        for (const [name, t] of Object.entries(tensors)) {
          const got = back.tensors.get(name);
          expect(got?.dtype).toBe(t.dtype);
          expect(got?.shape).toEqual(t.shape);
          const data = Array.from(got?.data ?? [], (x: number | bigint) => x);
          expect(data.length).toBe(t.want.length);
          data.forEach((x, i) => {
            if (!sameValue(x, t.want[i] as number | bigint)) throw new Error(`${name}[${i}]: wrote ${String(t.want[i])}, read ${String(x)} (${t.dtype})`);
          });
        }
        await rm(file);
      },
    ),
    { numRuns: 80, seed: 20261127 },
  );
});

// ---------------------------------------------------------------------------------------------
// IR measures

const MEASURES = ['nDCG@10', 'nDCG', 'RR@10', 'AP', 'P@5', 'R@100'];
const docArb = fc.constantFrom('d1', 'd2', 'd3', 'd10', 'd20', 'D3', 'x', 'é', '\u{1F600}');

/** One query: judged docs with grades −1…3, and a run of distinct docs with few distinct scores (ties). */
const queryArb = fc.record({
  judged: fc.dictionary(docArb, fc.integer({ min: -1, max: 3 }), { minKeys: 1, maxKeys: 6 }),
  run: fc.uniqueArray(fc.record({ docid: docArb, score: fc.constantFrom(0, 0.5, 1, 1, 2) }), { selector: (e) => e.docid, minLength: 1, maxLength: 9 }),
});

const toQrels = (judged: Record<string, number>): Qrels => new Map([['q', new Map(Object.entries(judged))]]);
const toRun = (entries: ReadonlyArray<{ docid: string; score: number }>): Run => new Map([['q', entries.map((e, i) => ({ ...e, rank: i + 1 }))]]);

test('measures lie in [0, 1] and do not depend on file order or the rank column', () => {
  fc.assert(
    fc.property(queryArb, fc.integer({ min: 0, max: 1_000_000 }), ({ judged, run }, shuffleSeed) => {
      const a = evaluate(toQrels(judged), toRun(run), { metrics: MEASURES });
      for (const m of MEASURES) expect(a.aggregate[m]).toBeGreaterThanOrEqual(0);
      for (const m of MEASURES) expect(a.aggregate[m]).toBeLessThanOrEqual(1);
      // Any permutation of the lines, with ranks rewritten backwards: trec_eval re-sorts.
      const order = run.map((e, i) => [((i + 1) * 2654435761 + shuffleSeed) % 4294967296, e] as const).sort((x, y) => x[0] - y[0]);
      const shuffled: Run = new Map([['q', order.map(([, e], i): RunEntry => ({ ...e, rank: run.length - i }))]]);
      expect(evaluate(toQrels(judged), shuffled, { metrics: MEASURES }).aggregate).toEqual(a.aggregate);
    }),
    { numRuns: 300, seed: 1 },
  );
});

test('equal scores rank by docno descending (trec_eval), as if scores decreased that way', () => {
  fc.assert(
    fc.property(queryArb, ({ judged, run }) => {
      const tied = run.map((e) => ({ docid: e.docid, score: 1 }));
      const byDocno = [...run].sort((x, y) => compareBytes(y.docid, x.docid)).map((e, i) => ({ docid: e.docid, score: 100 - i }));
      const qrels = toQrels(judged);
      expect(evaluate(qrels, toRun(tied), { metrics: MEASURES }).aggregate).toEqual(evaluate(qrels, toRun(byDocno), { metrics: MEASURES }).aggregate);
    }),
    { numRuns: 200, seed: 2 },
  );
});

test('a perfect run (every judged doc, by grade) scores nDCG = AP = RR = 1', () => {
  fc.assert(
    fc.property(fc.dictionary(docArb, fc.integer({ min: 0, max: 3 }), { minKeys: 1, maxKeys: 8 }).filter((j) => Object.values(j).some((g) => g > 0)), (judged) => {
      const perfect = Object.entries(judged).map(([docid, grade]) => ({ docid, score: grade }));
      const e = evaluate(toQrels(judged), toRun(perfect), { metrics: ['nDCG', 'nDCG@10', 'AP', 'RR@10'] });
      for (const m of ['nDCG', 'nDCG@10', 'AP', 'RR@10']) expect(e.aggregate[m]).toBeCloseTo(1, 12);
    }),
    { numRuns: 200, seed: 3 },
  );
});

// ---------------------------------------------------------------------------------------------
// Tokenizer

describe('pair tokenizer (ms-marco-MiniLM-L-6-v2 files)', () => {
  let tok: PairTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(join(SHARED, 'data/ms-marco-MiniLM-L-6-v2'));
  });

  /** Any text: graphemes of all planes, control characters, CRLF, NUL, long runs of one word. */
  const textArb = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom('', ' ', '\r\n', '\u0000\u0007\u001b', '[SEP] [CLS]', 'word '.repeat(300)),
  );

  test('never exceeds max_length; [CLS] query [SEP] passage [SEP] with types 0…0 1…1', async () => {
    await fc.assert(
      fc.asyncProperty(textArb, textArb, fc.integer({ min: 3, max: 40 }), fc.constantFrom('longest_first' as const, 'only_second' as const), async (q, p, maxLength, truncation) => {
        let enc;
        try {
          [enc] = await tok.encodePairs([[q, p]], { maxLength, truncation });
        } catch (e) {
          // only_second with a query too long for max_length: HF raises too, and so do we, clearly.
          expect(truncation).toBe('only_second');
          expect((e as Error).name).toBe('TokenizerError');
          return;
        }
        const ids = enc?.inputIds ?? [];
        const types = enc?.tokenTypeIds ?? [];
        expect(ids.length).toBeLessThanOrEqual(maxLength);
        expect(types.length).toBe(ids.length);
        expect(ids[0]).toBe(tok.clsId);
        expect(ids[ids.length - 1]).toBe(tok.sepId);
        const switchAt = types.indexOf(1);
        expect(switchAt).toBeGreaterThanOrEqual(2); // [CLS] (query…) [SEP] comes first
        expect(ids[switchAt - 1]).toBe(tok.sepId);
        expect(types.slice(0, switchAt).every((t) => t === 0) && types.slice(switchAt).every((t) => t === 1)).toBe(true);
      }),
      { numRuns: 300, seed: 4 },
    );
  });
});
