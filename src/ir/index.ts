/**
 * The IR layer: TREC data in and out, collections, trec_eval-exact measures, paired significance
 * tests between runs (src/stats), BM25, and reranking with any scorer (a cross-encoder's comes from
 * makeScorer in the root). No tfjs here: a test walks this module's static imports.
 */
export * from './metrics/index.js';
export type { Collection, CollectionFormat, CollectionStats, Qrels, Run, RunEntry, Topics } from './collection.js';
export { collectionStats, COLLECTION_FORMATS } from './collection.js';
export { parseTopics, parseQrels, parseRun, parseTsv, readTopics, readQrels, readRun, formatTopics, formatQrels, formatRun, writeTopics, writeQrels, writeRun, compareTrec, trecOrder } from './trec.js';
export { loadCollection, detectFormat } from './detect.js';
export type { LoadCollectionOptions } from './detect.js';
export { findTopKTies, describeTies } from './ties.js';
export type { TieGroup, TieReport } from './ties.js';
export { randomFloor, expectedRandomNdcg, RANDOM_FLOOR_DEFAULTS } from './random-floor.js';
export type { RandomFloor, RandomFloorOptions } from './random-floor.js';
export { buildBm25Index, searchBm25, bm25Run, BM25_DEFAULTS } from './bm25.js';
export type { Bm25Index, Bm25Options } from './bm25.js';
export { analyze, tokenize, LUCENE_ENGLISH_STOPWORDS } from './analyze.js';
export type { AnalyzerOptions } from './analyze.js';
export { porterStem } from './porter.js';
export { rerank, firstStage, planCandidates, RERANK_DEFAULTS } from './rerank.js';
export type { PairScorer, RerankOptions, RerankResult } from './rerank.js';
export { compareRuns, compareEvaluations, COMPARE_DEFAULTS, PAIRED_TESTS } from './compare.js';
export type { CompareOptions, ComparisonRow, NamedEvaluation, PairedTestName, RunComparison, TestPValues } from './compare.js';
export { pairedTTest, randomizationTest, RANDOMIZATION_DEFAULTS, adjustPValues, holm, bonferroni, bh, CORRECTIONS, studentTCdf, studentTTwoSided, incompleteBeta, lnGamma } from '../stats/index.js';
export type { Correction, PairedTTest, RandomizationOptions, RandomizationTest } from '../stats/index.js';
