/**
 * The embedded model's training data: the split keeps every evaluated query out, groups are a pure
 * function of (seed, step, slot), and each group is what it claims to be (checked from the source
 * files, not from our own output): a real group's positive is judged relevant and its negatives
 * are not; a pseudo-query's words are in its positive passage.
 */
import { join } from 'node:path';
import { loadCollection } from '../../src/ir/detect.js';
import { tokenize } from '../../src/ir/analyze.js';
import { HELD_OUT, loadTrainData, makeGroup, TRAIN_SPLIT } from '../../scripts/train-data.js';
import type { TrainData } from '../../scripts/train-data.js';
import { SHARED } from '../helpers/fixture.js';

const DATA = join(SHARED, 'data');
const norm = (s: string): string => s.toLowerCase().replace(/\s+/g, ' ').trim();

let data: TrainData;
beforeAll(async () => {
  data = await loadTrainData(DATA);
}, 120_000);

test('no held-out collection lends its queries to training', async () => {
  for (const s of TRAIN_SPLIT) if ((HELD_OUT as readonly string[]).includes(s.dir)) expect(s.queries).toBe(false);
  await expect(loadTrainData(DATA, [{ dir: 'cranfield', queries: true, docs: true }])).rejects.toThrow(/cranfield is held out/);
  const trainQueries = new Set(data.sources.flatMap((s) => s.real.map((q) => norm(q.text))));
  expect(trainQueries.size).toBeGreaterThan(100);
  for (const dir of HELD_OUT) {
    const c = await loadCollection(join(DATA, dir));
    for (const q of c.queries.values()) expect(trainQueries.has(norm(q))).toBe(false);
  }
}, 120_000);

test('groups are deterministic and honest', async () => {
  const opts = { groupSize: 4, realShare: 0.3 };
  expect(makeGroup(data, 7, 3, 1, opts)).toEqual(makeGroup(data, 7, 3, 1, opts));
  expect(makeGroup(data, 7, 3, 1, opts)).not.toEqual(makeGroup(data, 7, 3, 2, opts));
  // Relevance judgements of the training queries, by query text, as document texts.
  const relevantTexts = new Map<string, Set<string>>();
  for (const s of TRAIN_SPLIT.filter((x) => x.queries)) {
    const c = await loadCollection(join(DATA, s.dir));
    for (const [qid, text] of c.queries) {
      const rel = [...(c.qrels.get(qid) ?? [])].filter(([, g]) => g > 0).map(([d]) => c.docs.get(d) ?? '');
      relevantTexts.set(text, new Set(rel));
    }
  }
  const kinds = new Map<string, number>();
  for (let step = 0; step < 150; step++) {
    const g = makeGroup(data, 11, step, 0, opts);
    kinds.set(g.kind, (kinds.get(g.kind) ?? 0) + 1);
    expect(g.passages).toHaveLength(4);
    expect(new Set(g.passages).size).toBe(4);
    const pos = g.passages[0] as string;
    if (g.kind === 'real') {
      const rel = relevantTexts.get(g.query) as Set<string>;
      expect(rel.has(pos)).toBe(true);
      for (const n of g.passages.slice(1)) expect(rel.has(n)).toBe(false);
    } else if (g.kind === 'pseudo-terms') {
      const words = new Set(tokenize(pos));
      for (const w of g.query.split(' ')) expect(words.has(w)).toBe(true);
    } else {
      expect(` ${tokenize(pos).join(' ')} `).toContain(` ${g.query} `);
    }
  }
  for (const k of ['real', 'pseudo-terms', 'pseudo-span']) expect(kinds.get(k) ?? 0).toBeGreaterThan(10);
}, 120_000);
