/**
 * Public face of the tokenizer: HF fast BERT tokenization of (query, passage) pairs.
 * Loading lives in load.ts, encoding and padding in encode.ts.
 */
export { loadTokenizer, readMaxPositionEmbeddings, readPairsTsv, readGradedPairsTsv, BERT_MAX_LENGTH } from './load.js';
export type { LoadOptions } from './load.js';
export { PairTokenizer, padBatch, PAIR_SPECIAL_TOKENS } from './encode.js';
export type { EncodeOptions, PairEncoding, TokenBatch, Truncation, PairTokenizerParts } from './encode.js';
