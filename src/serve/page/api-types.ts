/**
 * The JSON API of `celens serve`, as types: what each endpoint takes and returns. The server
 * (src/serve) and the page (src/serve/page) both read these, so neither can drift from the other.
 * Types only: this module has no runtime code and runs in Node and in the browser alike.
 *
 * Every error is `{"error": "…"}` with a 4xx/5xx status. A POST sent with
 * `Accept: application/x-ndjson` gets its answer as a stream of lines instead (StreamLine): where
 * the job waits in the queue, its progress, and last its result or error; closing the connection
 * cancels the job.
 */

/** A mask, as `celens rerank --mask` and `prune` read it: `{"layer.0.ffn": [1, 5], "layer.1.attn.heads": [0]}`. */
export type MaskJson = Record<string, number[]>;

/** `GET /api/info`: the model, the limits and the defaults of the server. */
export interface InfoResponse {
  model: string;
  numLayers: number;
  numHeads: number;
  /** FFN width of each layer (neurons that `layer.{l}.ffn` masks index). */
  intermediateSizes: number[];
  numLabels: number;
  /** The relevance score the ranks follow, in words (celens inspect states the same). */
  relevance: string;
  /** Tokens per pair incl. [CLS] and the two [SEP]s; longer pairs are truncated (longest_first). */
  maxLength: number;
  /** The site NIG attributes (`ffn.pre`, as Vast et al. hook it) and its defaults and choices. */
  attribution: { site: string; steps: number; baseline: string; rule: string; baselines: string[]; rules: string[]; top: number };
  limits: ServeLimits;
  /** The collection given with --collection (queries with first-stage candidates), or null. */
  collection: { name: string; queries: number } | null;
}

/** What one request may ask for; over a limit is a 400 (413 for the body), with the limit named. */
export interface ServeLimits {
  /** Request body bytes. */
  maxBodyBytes: number;
  /** Passages in one score or rerank request. */
  maxPassages: number;
  /** NIG path points. */
  maxSteps: number;
  /** Top neurons per layer in an attribution answer. */
  maxTop: number;
  /** Jobs waiting behind the one that runs; more get 503. */
  maxQueue: number;
}

/** `POST /api/score`. */
export interface ScoreRequest {
  query: string;
  passages: string[];
  mask?: MaskJson;
}

/** Raw logits (as `celens score --activation none`), input order. */
export interface ScoreResponse {
  /** The logit of the scored label (the only one for a 1-label head), one per passage. */
  scores: number[];
  /** Every logit per passage ([passages][labels]). */
  logits: number[][];
  /** The model's relevance score (its activation on the logits; celens score's default output). */
  relevance: number[];
}

/** `POST /api/rerank`: scores with and without the mask, and the ranks they give. */
export interface RerankRequest {
  query: string;
  passages: string[];
  mask?: MaskJson;
}

export interface RankedPassage {
  /** Position in the request's passages (0-based). */
  index: number;
  /** 1 = best, under the mask. */
  rank: number;
  /** Raw logit under the mask. */
  score: number;
  relevance: number;
  /** The same without the mask. */
  baselineRank: number;
  baselineScore: number;
  /** baselineRank − rank: positive when the mask moved the passage up. */
  change: number;
}

export interface RerankResponse {
  /** Raw logits under the mask, input order. */
  scores: number[];
  relevance: number[];
  /** Without the mask, input order (equal to scores when the mask is empty). */
  baseline: { scores: number[]; relevance: number[] };
  /** Best first under the mask (ties keep input order, as celens rank). */
  ranking: RankedPassage[];
  /** Units the mask switched off: FFN neurons and attention heads. */
  masked: { neurons: number; heads: number };
}

/** `POST /api/attribute`: NIG of one pair at `layer.{l}.ffn.pre` of every layer. */
export interface AttributeRequest {
  query: string;
  passage: string;
  /** Path points incl. both ends. @default 50 */
  steps?: number;
  /** @default 'padq' */
  baseline?: string;
  /** @default 'trapezoid' */
  rule?: string;
  /** Top neurons per layer (by |Σ over tokens|) to send per token. @default 16 */
  top?: number;
  /** Attribute the masked model. */
  mask?: MaskJson;
}

/** Token positions: [CLS] query [SEP] passage [SEP] (ranges end-exclusive). */
export interface SegmentLayout {
  cls: number;
  query: [number, number];
  sep1: number;
  passage: [number, number];
  sep2: number;
}

/** Sums over the four parts of the input: [CLS], the query, both [SEP]s, the passage. */
export interface SegmentSums {
  cls: number;
  query: number;
  sep: number;
  passage: number;
}

export interface LayerAttribution {
  layer: number;
  /** `layer.{l}.ffn.pre`. */
  site: string;
  /** FFN width. */
  width: number;
  /** Σ over tokens and neurons. */
  total: number;
  /** Σ over neurons per part of the input. */
  segments: SegmentSums;
  /** The top neurons, by |Σ over tokens|, ordered from most positive to most negative. */
  top: number[];
  /** Σ over tokens of each top neuron. */
  topSums: number[];
  /** Per top neuron, its sums per part of the input. */
  topSegments: SegmentSums[];
  /** [tokens][top]: each top neuron's attribution at each token. */
  perToken: number[][];
}

export interface AttributeResponse {
  tokens: string[];
  segments: SegmentLayout;
  steps: number;
  baseline: string;
  rule: string;
  /** F(x) and F(x′): the target (the scored logit) at the input and at the baseline. */
  targetInput: number;
  targetBaseline: number;
  /** Per layer: Σ NIG over `layer.{l}.out` − (F(x) − F(x′)), and that relative to |F(x) − F(x′)|. */
  completeness: number[];
  completenessRelative: number[];
  layers: LayerAttribution[];
}

/** `POST /api/attention`: one head's attention probabilities on one pair. */
export interface AttentionRequest {
  query: string;
  passage: string;
  layer: number;
  head: number;
  mask?: MaskJson;
}

export interface AttentionResponse {
  tokens: string[];
  layer: number;
  head: number;
  /** [query token][key token], rows sum to 1 (0 for a masked head). */
  probs: number[][];
}

/** `GET /api/queries`: the collection's queries that have first-stage candidates. */
export interface QueriesResponse {
  collection: string;
  queries: Array<{ qid: string; text: string; candidates: number; judged: number }>;
}

/** `GET /api/candidates?qid=Q&k=20`: a query's first-stage top k with texts and grades. */
export interface CandidatesResponse {
  qid: string;
  query: string;
  candidates: Array<{ docid: string; text: string; grade: number | null; firstStageRank: number }>;
  /** Candidates of the top k without a text in the collection (left out). */
  skipped: number;
}

/** `GET /api/status`: the job queue. */
export interface StatusResponse {
  running: string | null;
  queued: number;
  done: number;
  cancelled: number;
  failed: number;
}

/** One line of a streamed (NDJSON) answer. */
export type StreamLine =
  | { queued: number }
  | { progress: { done: number; total: number; what: string } }
  | { result: unknown }
  | { error: string; status: number };

export interface ErrorResponse {
  error: string;
}
