/**
 * Training data for the embedded cross-encoder (scripts/train-cross-encoder.ts): which material
 * of ../shared/data it may see, and the groups (query, 1 positive, n negatives) it learns from.
 *
 * The split (written down again in the model card):
 *   - real queries + qrels, for training: CISI, NPL (vaswani)
 *   - passages / documents only, for pseudo-queries: the TREC DL 2019 and 2020 BM25 top-100
 *     passage pools, Cranfield, CISI, NPL (their queries and qrels are never read for training)
 *   - never read at all by training: MEDLINE (the out-of-domain collection), ADI (its 35
 *     queries are also the first 35 of CISI's, so it is no held-out test), NovelEval
 *   - evaluated on: DL19, DL20, Cranfield, MEDLINE queries — none of them trains the model.
 *
 * Every group is a pure function of (seed, step, slot): training can stop and resume anywhere
 * and still see the same data.
 */
import { join } from 'node:path';
import { analyze, tokenize, LUCENE_ENGLISH_STOPWORDS } from '../src/ir/analyze.js';
import { buildBm25Index, searchBm25 } from '../src/ir/bm25.js';
import type { Bm25Index } from '../src/ir/bm25.js';
import type { Collection } from '../src/ir/collection.js';
import { loadCollection } from '../src/ir/detect.js';
import { mulberry32 } from '../src/util/random.js';
import type { Rng } from '../src/util/random.js';

export interface SplitEntry {
  /** Folder under ../shared/data. */
  dir: string;
  /** Train on its real queries and qrels. */
  queries: boolean;
  /** Build pseudo-queries from its documents. */
  docs: boolean;
}

/** What training reads. Anything not listed here is never opened by the training script. */
export const TRAIN_SPLIT: readonly SplitEntry[] = [
  { dir: 'trec-dl-2019-passage', queries: false, docs: true },
  { dir: 'trec-dl-2020-passage', queries: false, docs: true },
  { dir: 'cranfield', queries: false, docs: true },
  { dir: 'cisi', queries: true, docs: true },
  { dir: 'vaswani-npl', queries: true, docs: true },
];

/** The held-out evaluation: their queries never train the model. */
export const HELD_OUT = ['trec-dl-2019-passage', 'trec-dl-2020-passage', 'cranfield', 'medline'] as const;

export interface Group {
  query: string;
  /** passages[0] is the positive, the rest negatives. */
  passages: string[];
  /** Where the group came from, for the training log. */
  kind: 'real' | 'pseudo-terms' | 'pseudo-span';
  /**
   * The loss's target distribution over `passages` when a teacher takes part (GroupOptions
   * teacher, teacherReal): (1 − λ)·one-hot(positive) + λ·softmax(BM25 / temperature). Absent:
   * one-hot on the positive.
   */
  targets?: number[];
}

interface Source {
  name: string;
  docids: string[];
  texts: string[];
  index: Bm25Index;
  /** Per doc: candidate query words (lower-case, no stop words) and their idf. */
  words: Array<Array<{ w: string; idf: number }>>;
  /** Real training queries: text and the docids judged relevant (grade > 0). */
  real: Array<{ text: string; relevant: string[] }>;
  byId: Map<string, number>;
}

export interface TrainData {
  sources: Source[];
  /** Sources with real queries. */
  realSources: Source[];
  /** Documents across all sources, for picking a pseudo-query's passage uniformly. */
  docCount: number;
}

export async function loadTrainData(dataDir: string, split: readonly SplitEntry[] = TRAIN_SPLIT): Promise<TrainData> {
  const sources: Source[] = [];
  for (const s of split) {
    if ((HELD_OUT as readonly string[]).includes(s.dir) && s.queries) throw new Error(`${s.dir} is held out: its queries may not train the model`);
    const c: Collection = await loadCollection(join(dataDir, s.dir));
    const docids = [...c.docs.keys()].filter((id) => (c.docs.get(id) ?? '').trim() !== '');
    const texts = docids.map((id) => c.docs.get(id) as string);
    const index = buildBm25Index(new Map(docids.map((id, i) => [id, texts[i] as string])));
    const df = new Map<string, number>();
    const perDoc = texts.map((t) => [...new Set(tokenize(t).filter(keepWord))]);
    for (const ws of perDoc) for (const w of ws) df.set(w, (df.get(w) ?? 0) + 1);
    const N = texts.length;
    const words = perDoc.map((ws) => ws.map((w) => ({ w, idf: Math.log(1 + (N - (df.get(w) ?? 0) + 0.5) / ((df.get(w) ?? 0) + 0.5)) })));
    const real: Source['real'] = [];
    if (s.queries) {
      for (const [qid, text] of c.queries) {
        const rel = [...(c.qrels.get(qid) ?? new Map<string, number>())].filter(([d, g]) => g > 0 && c.docs.has(d)).map(([d]) => d);
        if (rel.length && text.trim()) real.push({ text, relevant: rel.sort() });
      }
    }
    sources.push({ name: s.dir, docids, texts, index, words, real, byId: new Map(docids.map((id, i) => [id, i])) });
  }
  return { sources, realSources: sources.filter((s) => s.real.length > 0), docCount: sources.reduce((n, s) => n + s.docids.length, 0) };
}

function keepWord(w: string): boolean {
  return w.length >= 3 && !LUCENE_ENGLISH_STOPWORDS.has(w) && !/^\d+$/.test(w);
}

export interface GroupOptions {
  /** Passages per group (1 positive + negatives). */
  groupSize: number;
  /** Share of groups built from real queries. */
  realShare: number;
  /** Negatives drawn from the BM25 pool (the rest are random documents). @default groupSize − 2 */
  hardNegatives?: number;
  /**
   * Negatives (the group's last slots, before the hard and random ones) drawn from the documents of
   * *other* sources that contain one of the query's words: the same surface word in another domain,
   * mostly in another sense (a query's "point" of boiling against a wing's stagnation "point"). Their
   * targets need a model teacher (train-cross-encoder --teacher-model): one collection's BM25 cannot
   * score another's documents. @default 0
   */
  crossNegatives?: number;
  /**
   * Pseudo-queries take their words from the first `window` words of the passage only, so that
   * they survive the truncation to the model's max length. @default 60
   */
  window?: number;
  /**
   * Weak supervision (Dehghani et al., SIGIR 2017): weight λ of the BM25 teacher in the targets of
   * pseudo-query groups, scored with the source collection's own index. 0: one-hot on the source
   * passage. @default 0
   */
  teacher?: number;
  /** The same for real-query groups (whose positive is judged relevant). @default 0 */
  teacherReal?: number;
  /** BM25 scores are divided by this before the teacher's softmax. @default 1 */
  temperature?: number;
  /** BM25 hits that pseudo-queries' hard negatives are drawn from. @default 30 */
  poolDepth?: number;
  /**
   * Share of pseudo-queries put into a question or phrase template ("what is …", "… definition"),
   * so that training sees queries shaped like users' (TREC DL's are questions). @default 0
   */
  naturalShare?: number;
}

/**
 * Query shapes of web search logs (MS MARCO-like questions and phrases); `{}` is the pseudo-query.
 * Their added words are mostly stop words or frequent, which BM25 all but ignores: the model must
 * learn to as well.
 */
export const QUERY_TEMPLATES: readonly string[] = [
  'what is {}', 'what are {}', 'what is the {}', 'what is a {}', 'how to {}', 'how does {} work', 'how do {}', 'what causes {}',
  'definition of {}', '{} definition', 'define {}', 'what does {} mean', '{} meaning', 'why {}', 'why is {}', 'when was {}',
  'where is {}', 'who is {}', 'how many {}', 'how much {}', 'how long {}', 'is {}', 'can {}', 'types of {}', 'examples of {}',
  'what type of {}', 'which {}', 'effects of {}', 'what happens {}', '{} facts', 'the {}', '{}',
];

/** The group at (seed, step, slot). */
export function makeGroup(data: TrainData, seed: number, step: number, slot: number, opts: GroupOptions): Group {
  const rng = mulberry32(hash3(seed, step, slot));
  if (data.realSources.length && rng() < opts.realShare) return realGroup(data, rng, opts);
  return pseudoGroup(data, rng, opts);
}

function realGroup(data: TrainData, rng: Rng, opts: GroupOptions): Group {
  const src = pick(data.realSources, rng);
  const q = pick(src.real, rng);
  const pos = pick(q.relevant, rng);
  const relevant = new Set(q.relevant);
  const pool = searchBm25(src.index, q.text, { hits: 100 }).map((e) => e.docid).filter((d) => !relevant.has(d));
  const cross = crossCount(opts);
  const negs = negatives(src, pool, relevant, rng, opts.groupSize - 1 - cross, hardCount(opts));
  return withTargets({ query: q.text, passages: [], kind: 'real' }, src, [pos, ...negs], opts.teacherReal ?? 0, opts, crossNegatives(data, src, q.text, rng, cross, [pos, ...negs]));
}

function pseudoGroup(data: TrainData, rng: Rng, opts: GroupOptions): Group {
  // Pick a document uniformly over all sources (bigger collections give more groups).
  let k = Math.floor(rng() * data.docCount);
  let src = data.sources[0] as Source;
  for (const s of data.sources) {
    if (k < s.docids.length) {
      src = s;
      break;
    }
    k -= s.docids.length;
  }
  const window = opts.window ?? 60;
  const toks = tokenize(src.texts[k] as string).slice(0, window);
  const inWindow = new Set(toks);
  // Candidate words: in the window, and not among the most common (idf below 2: in over ~1/7 of the docs).
  const words = (src.words[k] ?? []).filter((x) => inWindow.has(x.w) && x.idf >= 2);
  let query: string;
  let kind: Group['kind'];
  if (rng() < 0.5 && words.length >= 2) {
    // 2–6 distinct words drawn without replacement with probability ∝ idf², in document order.
    const n = Math.min(words.length, 2 + Math.floor(rng() * 5));
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(weightedIndex(words.map((x) => x.idf * x.idf), rng, chosen));
    query = [...chosen].sort((a, b) => a - b).map((i) => (words[i] as { w: string }).w).join(' ');
    kind = 'pseudo-terms';
  } else {
    // A contiguous span of 3–8 words (an inverse-cloze query), kept in the passage.
    const len = Math.min(toks.length, 3 + Math.floor(rng() * 6));
    const start = Math.floor(rng() * Math.max(1, toks.length - len + 1));
    query = toks.slice(start, start + len).join(' ');
    kind = 'pseudo-span';
  }
  if (!query.trim() || analyze(query).length === 0) query = (words[0]?.w ?? toks[0]) ?? 'text';
  // Drawn only when asked for, so that a run without templates keeps its old random stream.
  if ((opts.naturalShare ?? 0) > 0 && rng() < (opts.naturalShare as number)) query = pick(QUERY_TEMPLATES, rng).replace('{}', query);
  const self = src.docids[k] as string;
  const pool = searchBm25(src.index, query, { hits: opts.poolDepth ?? 30 }).map((e) => e.docid).filter((d) => d !== self);
  const cross = crossCount(opts);
  const negs = negatives(src, pool, new Set([self]), rng, opts.groupSize - 1 - cross, hardCount(opts));
  return withTargets({ query, passages: [], kind }, src, [self, ...negs], opts.teacher ?? 0, opts, crossNegatives(data, src, query, rng, cross, [self, ...negs]));
}

/** The group's passages from their docids (then `extra` texts of other sources), and its targets when the teacher's weight λ > 0. */
function withTargets(g: Group, src: Source, ids: string[], lambda: number, opts: GroupOptions, extra: string[] = []): Group {
  const out: Group = { ...g, passages: [...ids.map((id) => textOf(src, id)), ...extra] };
  if (lambda <= 0) return out;
  if (extra.length) throw new Error(`crossNegatives: BM25 over ${src.name} cannot score other collections' documents; teach with a model (--teacher-model) instead`);
  const score = new Map(searchBm25(src.index, g.query, { candidates: ids }).map((e) => [e.docid, e.score]));
  out.targets = softTargets(ids.map((id) => score.get(id) ?? 0), lambda, opts.temperature ?? 1);
  return out;
}

/**
 * A group's loss targets from a teacher's scores of its passages (the positive first):
 * (1 − λ)·one-hot(0) + λ·softmax(scores / temperature).
 */
export function softTargets(scores: readonly number[], lambda: number, temperature: number): number[] {
  const z = scores.map((x) => x / temperature);
  const max = Math.max(...z);
  const e = z.map((x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x, i) => lambda * (x / sum) + (i === 0 ? 1 - lambda : 0));
}

function crossCount(o: GroupOptions): number {
  const c = o.crossNegatives ?? 0;
  if (!Number.isInteger(c) || c < 0 || c > o.groupSize - 2) throw new Error(`crossNegatives ${c}: an integer in 0…${o.groupSize - 2} (group size ${o.groupSize}, one positive, one negative of its own source at least)`);
  return c;
}

function hardCount(o: GroupOptions): number {
  return Math.max(0, Math.min(o.groupSize - 1 - crossCount(o), o.hardNegatives ?? o.groupSize - 2 - crossCount(o)));
}

/**
 * GroupOptions.crossNegatives: n texts of other sources, each containing a word of the query (one of
 * its candidate words, drawn uniformly; then a document uniformly among the other sources' that hold
 * it). A query none of whose words another source holds takes random documents of the other sources,
 * and so does a slot whose draws keep giving a text the group already has (the DL pools share some
 * passages; a rare word may be in one other document). Draws nothing when
 * n is 0 (older runs keep their random stream).
 */
function crossNegatives(data: TrainData, src: Source, query: string, rng: Rng, n: number, own: readonly string[]): string[] {
  if (n === 0) return [];
  const others = data.sources.filter((s) => s !== src);
  const qwords = [...new Set(tokenize(query).filter(keepWord))].filter((w) => others.some((s) => postingsOf(s).has(w)));
  const out: string[] = [];
  const used = new Set<string>(own.map((id) => textOf(src, id)));
  for (let i = 0; i < n; i++) {
    let text: string | undefined;
    for (let tries = 0; tries < 20 && (text === undefined || used.has(text)); tries++) {
      if (qwords.length) {
        const w = pick(qwords, rng);
        const holders = others.filter((s) => postingsOf(s).has(w));
        const total = holders.reduce((a, s) => a + (postingsOf(s).get(w) as number[]).length, 0);
        let k = Math.floor(rng() * total);
        for (const s of holders) {
          const docs = postingsOf(s).get(w) as number[];
          if (k < docs.length) {
            text = s.texts[docs[k] as number];
            break;
          }
          k -= docs.length;
        }
      } else {
        const s = pick(others, rng);
        text = pick(s.texts, rng);
      }
    }
    // A word that few other documents hold can give the same text twice: a random other document then.
    for (let tries = 0; tries < 1000 && used.has(text as string); tries++) text = pick(pick(others, rng).texts, rng);
    used.add(text as string);
    out.push(text as string);
  }
  return out;
}

const postingsCache = new WeakMap<Source, Map<string, number[]>>();

/**
 * A source's candidate query word → the docs (indices) that hold it, from `words`; built on the first
 * cross negative (0.1 s over the split), so that runs without them do not pay for it at load.
 */
function postingsOf(src: Source): Map<string, number[]> {
  let postings = postingsCache.get(src);
  if (!postings) {
    postings = new Map();
    for (const [i, ws] of src.words.entries()) {
      for (const { w } of ws) {
        const docs = postings.get(w);
        if (docs) docs.push(i);
        else postings.set(w, [i]);
      }
    }
    postingsCache.set(src, postings);
  }
  return postings;
}

/** `hard` negatives from the BM25 pool, the other slots random documents of the same source (docids). */
function negatives(src: Source, pool: string[], exclude: Set<string>, rng: Rng, n: number, hardN: number): string[] {
  const out: string[] = [];
  const used = new Set<string>(exclude);
  for (let i = 0; i < n; i++) {
    const hard = i < hardN && pool.length > 0;
    let id: string | undefined;
    for (let tries = 0; tries < 20 && (id === undefined || used.has(id)); tries++) id = hard ? pick(pool, rng) : pick(src.docids, rng);
    if (id === undefined || used.has(id)) id = src.docids.find((d) => !used.has(d)) as string;
    used.add(id);
    out.push(id);
  }
  return out;
}

function textOf(src: Source, id: string): string {
  return src.texts[src.byId.get(id) as number] as string;
}

function pick<T>(xs: readonly T[], rng: Rng): T {
  return xs[Math.floor(rng() * xs.length)] as T;
}

function weightedIndex(w: number[], rng: Rng, skip: Set<number>): number {
  let total = 0;
  w.forEach((x, i) => (total += skip.has(i) ? 0 : x));
  let r = rng() * total;
  for (let i = 0; i < w.length; i++) {
    if (skip.has(i)) continue;
    r -= w[i] as number;
    if (r <= 0) return i;
  }
  for (let i = w.length - 1; i >= 0; i--) if (!skip.has(i)) return i;
  return 0;
}

/** A 32-bit seed from three integers (FNV-1a over their bytes). */
export function hash3(a: number, b: number, c: number): number {
  let h = 0x811c9dc5;
  for (const x of [a, b, c]) {
    for (let k = 0; k < 4; k++) h = Math.imul(h ^ ((x >>> (8 * k)) & 0xff), 0x01000193);
  }
  return h >>> 0;
}

/** Every text training may read (documents of the split and its real queries), for the vocabulary. */
export function vocabularyText(data: TrainData): string[] {
  return data.sources.flatMap((s) => [...s.texts, ...s.real.map((q) => q.text)]);
}
