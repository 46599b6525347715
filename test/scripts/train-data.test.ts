/**
 * The embedded model's training data: the split keeps every evaluated query out, groups are a pure
 * function of (seed, step, slot), and each group is what it claims to be (checked from the source
 * files, not from our own output): a real group's positive is judged relevant and its negatives
 * are not; a pseudo-query's words are in its positive passage.
 */
import { join } from 'node:path';
import { loadCollection } from '../../src/ir/detect.js';
import { LUCENE_ENGLISH_STOPWORDS, tokenize } from '../../src/ir/analyze.js';
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

test('teacher targets: (1 − λ)·one-hot + λ·softmax(BM25 / T), BM25 computed here from the texts', async () => {
  const { buildBm25Index, searchBm25 } = await import('../../src/ir/bm25.js');
  const opts = { groupSize: 5, realShare: 0.3, teacher: 0.7, teacherReal: 0.4, temperature: 3, poolDepth: 100, naturalShare: 0.5 };
  let templated = 0;
  let checked = 0;
  const collections = new Map<string, Map<string, string>>();
  for (const s of TRAIN_SPLIT) collections.set(s.dir, (await loadCollection(join(DATA, s.dir))).docs);
  for (let step = 0; step < 40; step++) {
    const g = makeGroup(data, 13, step, 0, opts);
    const t = g.targets as number[];
    expect(t).toHaveLength(5);
    expect(t.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const lambda = g.kind === 'real' ? 0.4 : 0.7;
    // The positive keeps at least 1 − λ; what is left is the teacher's.
    expect(t[0] as number).toBeGreaterThanOrEqual(1 - lambda - 1e-9);
    if (g.kind !== 'real' && !g.query.split(' ').every((w) => tokenize(g.passages[0] as string).includes(w))) templated++;
    // The teacher's share, from an index of the group's own collection built here.
    const src = [...collections].find(([, docs]) => [...docs.values()].includes(g.passages[0] as string));
    if (!src || checked >= 6) continue;
    const docs = new Map([...src[1]].filter(([, text]) => text.trim() !== ''));
    const ids = g.passages.map((p) => [...docs].find(([, text]) => text === p)?.[0] as string);
    const bm = new Map(searchBm25(buildBm25Index(docs), g.query, { candidates: ids }).map((e) => [e.docid, e.score]));
    const z = ids.map((id) => (bm.get(id) ?? 0) / 3);
    const e = z.map((x) => Math.exp(x - Math.max(...z)));
    const want = e.map((x, i) => (lambda * x) / e.reduce((a, b) => a + b, 0) + (i === 0 ? 1 - lambda : 0));
    want.forEach((w, i) => expect(t[i] as number).toBeCloseTo(w, 6));
    checked++;
  }
  expect(checked).toBe(6);
  expect(templated).toBeGreaterThan(3);
  // λ = 0 (the default): no targets, and the old groups.
  const plain = makeGroup(data, 13, 1, 0, { groupSize: 4, realShare: 0.3 });
  expect(plain.targets).toBeUndefined();
}, 300_000);

test('cross negatives: the last slots are other collections\' documents that share a word of the query', () => {
  const sourceOf = new Map<string, string>();
  for (const s of data.sources) for (const t of s.texts) sourceOf.set(t, s.name);
  const words = (t: string): Set<string> => new Set(tokenize(t).filter((w) => w.length >= 3 && !LUCENE_ENGLISH_STOPWORDS.has(w) && !/^\d+$/.test(w)));
  let cross = 0;
  let sharing = 0;
  let real = 0;
  for (let step = 0; step < 40; step++) {
    const g = makeGroup(data, 17, step, 0, { groupSize: 6, realShare: 0.3, crossNegatives: 2 });
    expect(g.passages).toHaveLength(6);
    if (g.kind === 'real') real++;
    const own = g.passages.slice(0, 4).map((p) => sourceOf.get(p));
    expect(new Set(own).size).toBe(1);
    const q = words(g.query);
    for (const p of g.passages.slice(4)) {
      cross++;
      expect(sourceOf.get(p)).toBeDefined();
      expect(sourceOf.get(p)).not.toBe(own[0]);
      if ([...words(p)].some((w) => q.has(w))) sharing++;
    }
    expect(new Set(g.passages).size).toBe(6);
  }
  expect(real).toBeGreaterThan(3);
  expect(sharing).toBeGreaterThanOrEqual(0.9 * cross);
  // No cross negative repeats a passage of its group (the DL pools share passages; rare words few documents).
  for (let step = 0; step < 400; step++) {
    const g = makeGroup(data, 20261127, step, 3, { groupSize: 8, realShare: 0.3, poolDepth: 100, crossNegatives: 2 });
    for (const [i, p] of g.passages.entries()) if (i >= 6) expect(g.passages.indexOf(p)).toBe(i);
  }
  // Without them the group is the old one (same random stream).
  expect(makeGroup(data, 17, 5, 0, { groupSize: 6, realShare: 0.3, crossNegatives: 0 })).toEqual(makeGroup(data, 17, 5, 0, { groupSize: 6, realShare: 0.3 }));
  // BM25 of one collection cannot grade another's documents.
  const pseudoStep = [...Array(40).keys()].find((s) => makeGroup(data, 17, s, 0, { groupSize: 6, realShare: 0.3 }).kind !== 'real') as number;
  expect(() => makeGroup(data, 17, pseudoStep, 0, { groupSize: 6, realShare: 0.3, crossNegatives: 2, teacher: 0.7 })).toThrow(/cannot score other collections/);
  expect(() => makeGroup(data, 17, 0, 0, { groupSize: 6, realShare: 0.3, crossNegatives: 5 })).toThrow(/crossNegatives 5/);
}, 120_000);
