/** Pair sampling from a collection: relevance by level, balance, cap, seed, unjudged negatives. */
import { samplePairs } from '../../src/analysis/sample.js';
import type { SampledPair } from '../../src/analysis/sample.js';
import type { Collection } from '../../src/ir/collection.js';

function collection(): Collection {
  const docs = new Map([['d1', 'one'], ['d2', 'two'], ['d3', 'three'], ['d4', 'four'], ['d5', 'five'], ['d6', '']]);
  return {
    name: 'toy',
    format: 'trec',
    queries: new Map([['q1', 'first'], ['q2', 'second']]),
    docs,
    qrels: new Map([
      ['q1', new Map([['d1', 2], ['d2', 1], ['d3', 0], ['d6', 3]])],
      ['q2', new Map([['d4', -1], ['d5', 3]])],
    ]),
    run: new Map([['q1', [{ docid: 'd4', score: 3, rank: 1 }, { docid: 'd1', score: 2, rank: 2 }, { docid: 'd5', score: 1, rank: 3 }]]]),
    warnings: [],
  };
}

test('relevance level, judged and unjudged negatives, skipped empty texts', () => {
  const { pairs, warnings } = samplePairs(collection(), { relLevel: 2 });
  const key = (p: { qid: string; docid: string }): string => `${p.qid}/${p.docid}`;
  expect(pairs.filter((p) => p.relevant).map(key).sort()).toEqual(['q1/d1', 'q2/d5']);
  // q1/d2 (grade 1 < 2) and q1/d3 (0) judged non-relevant; q1/d4 and q1/d5 unjudged candidates; q2/d4 (−1) is never used.
  expect(pairs.filter((p) => !p.relevant).map(key).sort()).toEqual(['q1/d2', 'q1/d3', 'q1/d4', 'q1/d5']);
  expect(pairs.find((p) => key(p) === 'q1/d4')?.grade).toBeNull();
  expect(warnings.join(' ')).toMatch(/1 judged or candidate pairs skipped/); // d6 has no text
  expect(samplePairs(collection(), { relLevel: 2, negatives: 'judged' }).pairs.filter((p) => !p.relevant)).toHaveLength(2);
  expect(samplePairs(collection(), { relLevel: 2, negatives: 'unjudged' }).pairs.filter((p) => !p.relevant)).toHaveLength(2);
});

test('cap balances relevant and non-relevant; the seed fixes the sample', () => {
  const a = samplePairs(collection(), { relLevel: 1, maxPairs: 4, seed: 7 }).pairs;
  expect(a).toHaveLength(4);
  expect(a.filter((p) => p.relevant)).toHaveLength(2);
  expect(samplePairs(collection(), { relLevel: 1, maxPairs: 4, seed: 7 }).pairs).toEqual(a);
  const seeds = new Set(Array.from({ length: 10 }, (_v, s) => JSON.stringify(samplePairs(collection(), { relLevel: 1, maxPairs: 4, seed: s }).pairs)));
  expect(seeds.size).toBeGreaterThan(1);
});

test('no relevant pair is an error naming the collection', () => {
  expect(() => samplePairs(collection(), { relLevel: 4 })).toThrow(/toy: no relevant pairs at relevance level 4/);
});

test('too few non-relevant pairs for half and half is said, with the reason (no run, no judged negatives)', () => {
  // MEDLINE-like: only relevant grades and no first-stage run.
  const c = { ...collection(), qrels: new Map([['q1', new Map([['d1', 1], ['d2', 1]])], ['q2', new Map([['d5', 1]])]]) };
  delete (c as { run?: unknown }).run;
  const { pairs, warnings } = samplePairs(c, { maxPairs: 4 });
  expect(pairs.every((p) => p.relevant)).toBe(true);
  expect(warnings).toContain('toy: only 0 non-relevant pairs of the 2 that --max-pairs 4 asks for: its judgements hold 0 non-relevant grades, and it has no first-stage run for unjudged negatives (pass --run; celens bm25 makes one)');
  // Enough negatives: nothing to say.
  expect(samplePairs(collection(), { relLevel: 1, maxPairs: 4 }).warnings.filter((w) => w.includes('non-relevant'))).toEqual([]);
});

/** q1 has 4 relevant passages, q2 and q3 one each; q1 2 judged non-relevant, q2 1. */
function skewed(): Collection {
  const ids = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9'];
  return {
    name: 'skewed',
    format: 'trec',
    queries: new Map([['q1', 'first'], ['q2', 'second'], ['q3', 'third']]),
    docs: new Map(ids.map((d) => [d, `text ${d}`])),
    qrels: new Map([
      ['q1', new Map([['d1', 1], ['d2', 1], ['d3', 1], ['d4', 1], ['d7', 0], ['d8', 0]])],
      ['q2', new Map([['d5', 1], ['d9', 0]])],
      ['q3', new Map([['d6', 1]])],
    ]),
    warnings: [],
  };
}
const perQuery = (pairs: readonly SampledPair[], relevant: boolean): Record<string, number> => {
  const n: Record<string, number> = {};
  for (const p of pairs) if (p.relevant === relevant) n[p.qid] = (n[p.qid] ?? 0) + 1;
  return n;
};

test('--per-query-max: at most K relevant and K non-relevant pairs per query', () => {
  for (const seed of [1, 2, 3]) {
    const { pairs } = samplePairs(skewed(), { negatives: 'judged', perQueryMax: 2, seed });
    expect(perQuery(pairs, true)).toEqual({ q1: 2, q2: 1, q3: 1 });
    expect(perQuery(pairs, false)).toEqual({ q1: 2, q2: 1 });
  }
  const one = samplePairs(skewed(), { negatives: 'judged', perQueryMax: 1 }).pairs;
  expect(perQuery(one, true)).toEqual({ q1: 1, q2: 1, q3: 1 });
  expect(() => samplePairs(skewed(), { perQueryMax: 0 })).toThrow('per-query maximum must be an integer >= 1, got 0');
  expect(() => samplePairs(skewed(), { perQueryMax: 1.5 })).toThrow('per-query maximum must be an integer >= 1');
});

test('--per-query-max with --max-pairs: the cap takes queries in turn, so a query with many relevant passages does not dominate', () => {
  // 3 relevant of 6: a plain shuffle gives one per query only 4 times in 20; by query, every seed does.
  for (let seed = 0; seed < 20; seed++) {
    const { pairs } = samplePairs(skewed(), { negatives: 'judged', maxPairs: 6, perQueryMax: 100, seed });
    expect(perQuery(pairs, true)).toEqual({ q1: 1, q2: 1, q3: 1 });
    expect(perQuery(pairs, false)).toEqual({ q1: 2, q2: 1 });
  }
  // 5 relevant of 6: every query once, then q1 again (it alone has more) — never q1 four times.
  const five = samplePairs(skewed(), { negatives: 'judged', maxPairs: 8, perQueryMax: 100 }).pairs;
  expect(perQuery(five, true)).toEqual({ q1: 3, q2: 1, q3: 1 });
  // Seeded: the same seed, the same pairs in the same order.
  expect(samplePairs(skewed(), { maxPairs: 4, perQueryMax: 3, seed: 5 })).toEqual(samplePairs(skewed(), { maxPairs: 4, perQueryMax: 3, seed: 5 }));
});

test('a per-query cap that leaves too few negatives says so', () => {
  const { warnings } = samplePairs(skewed(), { negatives: 'judged', maxPairs: 8, perQueryMax: 1 });
  expect(warnings).toContain('skewed: only 2 non-relevant pairs of the 4 that --max-pairs 8 asks for: its judgements hold 3 non-relevant grades, and unjudged negatives are off (--negatives judged), and --per-query-max 1 keeps 2 of them');
});
