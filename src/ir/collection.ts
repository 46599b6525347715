/**
 * The one shape every IR source loads into (TREC files, BEIR, rank_llm JSON, SMART, NPL,
 * NovelEval): queries, documents, graded judgements and, where the source has one, a
 * first-stage run. Ids are strings, as trec_eval compares them (`strcmp`), never numbers.
 */

/** qid → query text. */
export type Topics = Map<string, string>;
/** qid → docno → relevance grade (integer; negative = in the pool but unjudged, as trec_eval). */
export type Qrels = Map<string, Map<string, number>>;

export interface RunEntry {
  docid: string;
  score: number;
  /** The rank written in the run file; trec_eval ignores it and re-sorts by score. */
  rank: number;
}
/** qid → retrieved documents in file order. */
export type Run = Map<string, RunEntry[]>;

export type CollectionFormat = 'trec' | 'beir' | 'rankllm' | 'smart' | 'npl' | 'noveleval';
export const COLLECTION_FORMATS: readonly CollectionFormat[] = ['trec', 'beir', 'rankllm', 'smart', 'npl', 'noveleval'];

/** A test collection: queries, qrels, an optional first-stage run and the documents. */
export interface Collection {
  /** Folder or file name the collection was read from (basename). */
  name: string;
  format: CollectionFormat;
  queries: Topics;
  /** docno → text; for rank_llm sources only the passages the run retrieved. */
  docs: Map<string, string>;
  qrels: Qrels;
  /** First-stage ranking shipped with the source (e.g. rank_llm's BM25 top-100). */
  run?: Run;
  /** Where `run` came from, in words (printed by the CLI). */
  runSource?: string;
  /** Problems found while loading that did not stop it (empty texts, unknown qids…), one line each. */
  warnings: string[];
}

/** Counts a loader test or a CLI summary compares against a SOURCE.md. */
export interface CollectionStats {
  queries: number;
  docs: number;
  judgements: number;
  judgedQueries: number;
  runQueries: number;
  runEntries: number;
}

export function collectionStats(c: Collection): CollectionStats {
  let judgements = 0;
  for (const q of c.qrels.values()) judgements += q.size;
  let runEntries = 0;
  for (const r of c.run?.values() ?? []) runEntries += r.length;
  return {
    queries: c.queries.size,
    docs: c.docs.size,
    judgements,
    judgedQueries: c.qrels.size,
    runQueries: c.run?.size ?? 0,
    runEntries,
  };
}

/**
 * Cross-checks the parts of a collection against each other and returns one warning line per
 * kind of problem: judged or retrieved qids without a query text, retrieved (and, with
 * `judgedDocs`, judged) docnos without a text, queries nobody judged. Problems are reported,
 * never silently dropped; trec_eval itself skips qids without judgements when it evaluates.
 */
export function crossCheck(c: Pick<Collection, 'queries' | 'docs' | 'qrels' | 'run'>, where: string, opts: { judgedDocs?: boolean } = {}): string[] {
  const out: string[] = [];
  const report = (ids: string[], one: string, many: string): void => {
    if (ids.length > 0) out.push(`${where}: ${ids.length} ${plural(ids.length, one, many)} (${sample(ids)})`);
  };
  report([...c.qrels.keys()].filter((q) => !c.queries.has(q)), 'judged qid has no query text', 'judged qids have no query text');
  report([...c.queries.keys()].filter((q) => !c.qrels.has(q)), 'query has no judgements and cannot be evaluated', 'queries have no judgements and cannot be evaluated');
  if (c.run) report([...c.run.keys()].filter((q) => !c.queries.has(q)), 'qid in the run has no query text', 'qids in the run have no query text');
  if (c.docs.size > 0) {
    const retrieved = new Set<string>();
    for (const r of c.run?.values() ?? []) for (const e of r) if (!c.docs.has(e.docid)) retrieved.add(e.docid);
    report([...retrieved], 'retrieved docno has no document text', 'retrieved docnos have no document text');
    if (opts.judgedDocs) {
      const judged = new Set<string>();
      for (const q of c.qrels.values()) for (const d of q.keys()) if (!c.docs.has(d)) judged.add(d);
      report([...judged], 'judged docno is not in the corpus', 'judged docnos are not in the corpus');
    }
  }
  return out;
}

/** Warning lines for empty texts, grouped (a collection may have many). */
export function emptyTexts(texts: Map<string, string>, what: 'query' | 'document', where: string): string[] {
  const empty = [...texts].filter(([, t]) => t.trim() === '').map(([id]) => id);
  if (empty.length === 0) return [];
  return [`${where}: ${empty.length} ${what === 'query' ? plural(empty.length, 'query has', 'queries have') : plural(empty.length, 'document has', 'documents have')} empty text (${sample(empty)})`];
}

export function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** The first few ids of a list, for one-line messages. */
export function sample(ids: string[], max = 5): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')}, …`;
}
