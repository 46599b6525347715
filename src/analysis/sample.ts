/**
 * (query, passage) pairs for attribution over a collection, as the paper samples them: judged
 * relevant passages (grade ≥ the relevance level) and non-relevant ones (judged below the level,
 * and/or unjudged first-stage candidates), balanced, capped and shuffled from a fixed seed.
 *
 * Balanced by query (`perQueryMax`): a query gives at most K relevant and K non-relevant pairs, and
 * pairs are taken query by query in turn (one of each query in a seeded order, then a second of
 * each, …), so a `maxPairs` cap spreads over queries too — the counts of two queries differ by at
 * most one unless one runs out. Without it a query with 40 relevant passages weighs 40 times one
 * with a single relevant passage in every per-neuron mean.
 */
import { CelensError } from '../errors.js';
import type { Collection } from '../ir/collection.js';
import { mulberry32, shuffled } from '../util/random.js';
import type { Rng } from '../util/random.js';

export interface SampledPair {
  dataset: string;
  qid: string;
  docid: string;
  /** null: an unjudged first-stage candidate. */
  grade: number | null;
  relevant: boolean;
  query: string;
  passage: string;
}

export type Negatives = 'judged' | 'unjudged' | 'both';

export interface SampleOptions {
  /** Relevant means grade ≥ relLevel (trec_eval -l). @default 1 */
  relLevel?: number;
  /** Cap on pairs; half relevant, half non-relevant where both suffice. @default all */
  maxPairs?: number;
  /** @default 1 */
  seed?: number;
  /** @default 'both' */
  negatives?: Negatives;
  /** First-stage depth from which unjudged negatives are drawn. @default 100 */
  depth?: number;
  /**
   * At most this many relevant and this many non-relevant pairs per query, taken query by query in
   * turn (see the file comment). @default no limit, and one shuffle over all pairs
   */
  perQueryMax?: number;
}

export const SAMPLE_DEFAULTS = { relLevel: 1, seed: 1, negatives: 'both', depth: 100 } as const;

export function samplePairs(c: Collection, o: SampleOptions = {}): { pairs: SampledPair[]; warnings: string[] } {
  const level = o.relLevel ?? SAMPLE_DEFAULTS.relLevel;
  const k = o.perQueryMax;
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new CelensError(`per-query maximum must be an integer >= 1, got ${k}`);
  const negatives = o.negatives ?? SAMPLE_DEFAULTS.negatives;
  const warnings: string[] = [];
  const rel: SampledPair[] = [];
  const non: SampledPair[] = [];
  let missing = 0;
  const add = (qid: string, docid: string, grade: number | null): void => {
    const query = c.queries.get(qid);
    const passage = c.docs.get(docid);
    if (query === undefined || passage === undefined || query.trim() === '' || passage.trim() === '') {
      missing++;
      return;
    }
    const relevant = grade !== null && grade >= level;
    (relevant ? rel : non).push({ dataset: c.name, qid, docid, grade, relevant, query, passage });
  };
  for (const [qid, judged] of [...c.qrels].sort(([a], [b]) => cmp(a, b))) {
    for (const [docid, grade] of [...judged].sort(([a], [b]) => cmp(a, b))) {
      if (grade < 0) continue; // trec_eval: negative = pooled but unjudged
      if (grade >= level || negatives !== 'unjudged') add(qid, docid, grade);
    }
  }
  if (negatives !== 'judged') {
    if (!c.run) {
      warnings.push(`${c.name}: no first-stage run, so no unjudged negatives (run celens bm25 for one)`);
    } else {
      const depth = o.depth ?? SAMPLE_DEFAULTS.depth;
      for (const [qid, entries] of [...c.run].sort(([a], [b]) => cmp(a, b))) {
        const judged = c.qrels.get(qid);
        for (const e of entries.slice(0, depth)) if (!judged?.has(e.docid)) add(qid, e.docid, null);
      }
    }
  }
  if (missing > 0) warnings.push(`${c.name}: ${missing} judged or candidate pairs skipped for a missing or empty query/passage text`);
  if (rel.length === 0) throw new CelensError(`no relevant pairs at relevance level ${level}`, { file: c.name });
  const rng = mulberry32(o.seed ?? SAMPLE_DEFAULTS.seed);
  const r = k === undefined ? shuffled(rel, rng) : byQuery(rel, k, rng);
  const n = k === undefined ? shuffled(non, rng) : byQuery(non, k, rng);
  let pairs: SampledPair[];
  if (o.maxPairs === undefined) pairs = [...r, ...n];
  else {
    const half = Math.ceil(o.maxPairs / 2);
    const takeR = Math.min(r.length, Math.max(half, o.maxPairs - n.length));
    pairs = [...r.slice(0, takeR), ...n.slice(0, o.maxPairs - takeR)];
  }
  // Half and half is the promise; when the collection cannot keep it, say why instead of silently
  // returning (say) 10 relevant and 0 non-relevant pairs.
  const want = o.maxPairs === undefined ? 1 : Math.floor(o.maxPairs / 2);
  const got = pairs.length - pairs.filter((p) => p.relevant).length;
  if (got < want) {
    const why = [
      negatives === 'unjudged' ? 'judged non-relevant pairs are off (--negatives unjudged)' : `its judgements hold ${non.filter((p) => p.grade !== null).length} non-relevant grades`,
      negatives === 'judged' ? 'unjudged negatives are off (--negatives judged)' : c.run ? `its first stage gave ${non.filter((p) => p.grade === null).length} unjudged candidates` : 'it has no first-stage run for unjudged negatives (pass --run; celens bm25 makes one)',
      ...(k !== undefined && n.length < non.length ? [`--per-query-max ${k} keeps ${n.length} of them`] : []),
    ];
    warnings.push(`${c.name}: only ${got} non-relevant pair${got === 1 ? '' : 's'}${o.maxPairs === undefined ? '' : ` of the ${want} that --max-pairs ${o.maxPairs} asks for`}: ${why.join(', and ')}`);
  }
  return { pairs, warnings };
}

/**
 * At most k pairs of each query, interleaved: the queries in a seeded order, each query's pairs
 * shuffled, then the first pair of every query, the second of every query, … — any prefix holds
 * as many pairs of each query as it can, give or take one.
 */
function byQuery(pairs: readonly SampledPair[], k: number, rng: Rng): SampledPair[] {
  const groups = new Map<string, SampledPair[]>();
  for (const p of pairs) {
    const g = groups.get(p.qid);
    if (g) g.push(p);
    else groups.set(p.qid, [p]);
  }
  const lists = shuffled([...groups.values()], rng).map((g) => shuffled(g, rng).slice(0, k));
  const rounds = Math.max(0, ...lists.map((l) => l.length));
  const out: SampledPair[] = [];
  for (let i = 0; i < rounds; i++) for (const l of lists) if (i < l.length) out.push(l[i] as SampledPair);
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
