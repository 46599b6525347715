/** Ranking measures exactly as trec_eval computes them, named as ir_measures writes them. */
export { ndcg } from './ndcg.js';
export { ap } from './ap.js';
export { rr } from './rr.js';
export { precision } from './precision.js';
export { recall } from './recall.js';
export { judgeRanking, NONPOOL, UNJUDGED } from './judged.js';
export type { JudgedRanking } from './judged.js';
export { parseMeasure, measureName, computeMeasure, MEASURE_KINDS } from './measures.js';
export type { Measure, MeasureKind } from './measures.js';
export { evaluate, EVALUATE_DEFAULTS } from './evaluate.js';
export type { Evaluation, EvaluateOptions } from './evaluate.js';
export { formatTrecEval, evaluationToJson, trecEvalLine, MEASURE_NAMINGS } from './report.js';
export type { EvaluationJson, MeasureNaming, TrecEvalFormatOptions } from './report.js';
export { trecEvalName, trecEvalNames } from './trec-eval-names.js';
