/**
 * The analysis layer: attribution files (the JSONL journals and safetensors `celens attribute`
 * writes) read, merged and aggregated into per-layer means, neuron sets and their overlaps. No
 * tfjs here.
 */
export { aggregateFiles, pairValues, siteKinds, AGGREGATE_DEFAULTS, NORMALIZE, PAIR_GROUPS, SEGMENT_CHOICES } from './aggregate.js';
export type { AggregateOptions, Aggregation, DatasetAggregate, GroupMean, LayerValues, Normalize, PairGroup, SegmentChoice } from './aggregate.js';
export { buildNeuronSets, neuronSetMeta, primarySet, rankedValues, writeNeuronSet, NEURON_SETS_DEFAULTS, RANK_FROM } from './neuron-report.js';
export type { NeuronReport, NeuronSetsOptions, RankFrom, ValueDistribution } from './neuron-report.js';
export { layerSummaries, quantile } from './distribution.js';
export type { LayerSummary } from './distribution.js';
export { readPairTable } from './pair-table.js';
export type { DatasetPairs, PairRow, PairTable } from './pair-table.js';
export { contrastPermutationTest } from './permutation.js';
export type { ContrastTest, PermutationOptions, Stratum } from './permutation.js';
export { adjustPValues, CORRECTIONS } from '../stats/correction.js';
export type { Correction } from '../stats/correction.js';
export { bootstrapSets } from './bootstrap.js';
export type { BootstrapOptions, NeuronFrequency, SetStability } from './bootstrap.js';
export { withSetStatistics, SET_STATISTICS_DEFAULTS } from './set-statistics.js';
export type { ContrastTestReport, SetStatistics, SetStatisticsOptions, SignificantNeuron } from './set-statistics.js';
export { formatSelector, intersectSets, neuronSetToMask, parseSelector, selectNeurons } from './neuron-sets.js';
export type { Neuron, NeuronSet, Selector } from './neuron-sets.js';
export { pickLayerNeurons, layerNeuronMask, LAYER_NEURONS_DEFAULTS } from './layer-neurons.js';
export type { LayerNeurons, LayerNeuronsOptions } from './layer-neurons.js';
export { overlap, overlaps } from './overlap.js';
export type { Overlap } from './overlap.js';
export { readMagnitudes } from './magnitudes.js';
export type { Magnitudes } from './magnitudes.js';
export { openAttribution } from './read-records.js';
export type { AttributionReader, OpenAttributionOptions, RecordLine } from './read-records.js';
export type { JournalHeader, PairRecord, PairSource } from '../jobs/records.js';
export { mergeShards } from './merge-shards.js';
export type { MergeResult, MergeShardsParams } from './merge-shards.js';
export { samplePairs, SAMPLE_DEFAULTS } from './sample.js';
export type { Negatives, SampledPair, SampleOptions } from './sample.js';
