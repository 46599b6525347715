/**
 * celens: load a Hugging Face BERT cross-encoder into TensorFlow.js, run and score it, attribute
 * its relevance scores to neurons, aggregate, prune and evaluate.
 *
 * This root is the curated API: what a user needs for each of those steps, with their option and
 * result types, the site vocabulary and the errors. Two layers have their own entry points and
 * load no tfjs: `celens/ir` (collections, TREC files, trec_eval-exact measures, BM25, reranking
 * with any scorer) and `celens/analysis` (attribution files, aggregation, neuron sets, merging).
 */

// Backend and model
export { selectBackend } from './backend/select.js';
export type { BackendName } from './backend/select.js';
export { nativeStatus, useNative } from './backend/native.js';
export type { NativeIsa } from './backend/native.js';
export { loadModel, disposeModel } from './model/load.js';
export type { LoadedModel } from './model/load.js';
export type { BertConfig } from './weights/config.js';
export { downloadModel, resolveModel } from './weights/hub-download.js';
export type { DownloadModelParams, DownloadedModel } from './weights/hub-download.js';

// Tokenize and run
export { loadTokenizer, padBatch } from './tokenize/tokenizer.js';
export type { PairTokenizer, PairEncoding, TokenBatch } from './tokenize/tokenizer.js';
export { toInputs, disposeInputs } from './model/inputs.js';
export type { BertInputs } from './model/bert.js';
export { runModel, disposeRun } from './hooks/run.js';
export type { RunOptions, RunResult, SiteIntervention } from './hooks/run.js';

// Sites and masks
export { SITE_KINDS, layerSite, parseSiteName, resolveSites } from './model/sites.js';
export type { SiteName } from './model/sites.js';
export { parseMasks, readMasks } from './model/masks.js';
export type { Masks } from './model/masks.js';

// Score
export { relevanceScores, SCORE_DEFAULTS } from './model/score.js';
export type { Activation, ScoreOptions } from './model/score.js';
export { makeScorer } from './model/scorer.js';
export type { ScorerOptions } from './model/scorer.js';

// Attribute
export { attribute, attributeStream, ATTRIBUTE_DEFAULTS } from './attribution/attribute.js';
export type { AttributeOptions } from './attribution/attribute.js';
export type { PairAttribution } from './attribution/summary.js';
export { runAttributeJob } from './jobs/job.js';
export type { AttributeJob, JobResult } from './jobs/job.js';

// Aggregate
export { aggregateFiles, buildNeuronSets, pickLayerNeurons } from './analysis/index.js';
export type { AggregateOptions, Aggregation, LayerNeurons, LayerNeuronsOptions, NeuronSet, NeuronSetsOptions } from './analysis/index.js';

// Evaluate and rerank
export { loadCollection, evaluate, rerank } from './ir/index.js';
export type { Collection, EvaluateOptions, Evaluation, PairScorer, RerankOptions, RerankResult } from './ir/index.js';

// Prune
export { runSweep, SWEEP_DEFAULTS } from './pruning/sweep.js';
export type { SweepOptions, SweepResult } from './pruning/sweep.js';
export { summarizeSweep } from './pruning/summary.js';
export type { SweepSummary, SweepSummaryOptions } from './pruning/summary.js';
export { readUnitScores } from './pruning/ranking.js';
export type { UnitScores } from './pruning/ranking.js';
export { exportPruned } from './pruning/export.js';
export type { ExportOptions, ExportResult } from './pruning/export.js';

// Report
export { writeReport } from './report/report.js';
export type { ReportOptions, WrittenReport } from './report/report.js';

// Errors: every bad input ends in one of these, naming its file (and line or tensor).
export { CelensError, BackendError, ConfigError, SafetensorsError, ShapeError, SiteError, TokenizerError, TrecFormatError, UsageError, WeightsError } from './errors.js';
export type { ErrorPlace } from './errors.js';
export { HubError } from './weights/hub-download.js';
