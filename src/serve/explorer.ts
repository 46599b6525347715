/**
 * The model work behind `celens serve`: score, rerank under a mask, NIG of one pair and one head's
 * attention, each computed by the library's own functions (scoreEncoded, attribute, runModel) on
 * one loaded model and tokenizer. Every job takes a JobControl: it reports progress and calls its
 * checkpoint between units of work (a scoring batch, an α chunk), where a cancelled job stops.
 */
import * as tf from '../backend/tf.js';
import { attribute } from '../attribution/attribute.js';
import { SEGMENT_NAMES } from '../attribution/baselines.js';
import type { Segments } from '../attribution/baselines.js';
import type { PairAttribution } from '../attribution/summary.js';
import { disposeRun, runModel } from '../hooks/run.js';
import { disposeInputs, toInputs } from '../model/inputs.js';
import type { LoadedModel } from '../model/load.js';
import type { Masks } from '../model/masks.js';
import { describeRule, relevanceRule } from '../model/relevance.js';
import type { RelevanceRule } from '../model/relevance.js';
import { applyActivation, scoreEncoded, scoringBatches, SCORE_DEFAULTS } from '../model/score.js';
import { layerSite } from '../model/sites.js';
import { padBatch } from '../tokenize/tokenizer.js';
import type { PairEncoding, PairTokenizer } from '../tokenize/tokenizer.js';
import type { AttentionResponse, AttributeResponse, LayerAttribution, RankedPassage, RerankResponse, ScoreResponse, SegmentSums } from './page/api-types.js';
import type { JobControl } from './queue.js';
import type { AttentionJob, AttributeJob, PassagesJob } from './requests.js';

/** The NIG site the explorer shows: the FFN neurons before GELU (as Vast et al. hook them); masks index the same neurons. */
export const EXPLORER_SITE = 'ffn.pre' as const;

export class Explorer {
  readonly rule: RelevanceRule;
  readonly maxLength: number;

  constructor(
    readonly model: LoadedModel,
    readonly tokenizer: PairTokenizer,
    /** How the model is named to users (the MODEL argument). */
    readonly name: string,
  ) {
    this.rule = relevanceRule(model.config);
    this.maxLength = Math.min(tokenizer.defaultMaxLength, model.config.maxPositionEmbeddings);
  }

  describeRule(): string {
    return describeRule(this.rule, this.model.config.numLabels);
  }

  async #encode(pairs: ReadonlyArray<readonly [string, string]>): Promise<PairEncoding[]> {
    return this.tokenizer.encodePairs(pairs, { maxLength: this.maxLength, truncation: 'longest_first' });
  }

  #tokens(enc: PairEncoding): string[] {
    return enc.inputIds.map((id) => this.tokenizer.idToToken(id) ?? `[${id}]`);
  }

  /**
   * Raw logits of every pair, input order: the batches `celens score` forms (scoringBatches, sorted
   * by length), scored one at a time so the job can stop between them; the numbers are scoreEncoded's.
   */
  async logits(query: string, passages: readonly string[], masks: Masks, ctl: JobControl, what = 'scoring'): Promise<number[][]> {
    const encs = await this.#encode(passages.map((p) => [query, p] as const));
    const out = new Array<number[]>(encs.length);
    let done = 0;
    for (const idx of scoringBatches(encs, SCORE_DEFAULTS.batchSize)) {
      await ctl.checkpoint();
      const rows = await scoreEncoded(this.model, idx.map((i) => encs[i] as PairEncoding), { batchSize: idx.length, activation: 'none', masks });
      idx.forEach((orig, r) => {
        out[orig] = rows[r] as number[];
      });
      done += idx.length;
      ctl.progress(done, encs.length, what);
    }
    return out;
  }

  /** The model's relevance score from logits rows (its activation, then its label). */
  relevance(logits: readonly number[][]): number[] {
    if (logits.length === 0) return [];
    const t = tf.tidy(() => applyActivation(tf.tensor2d(logits.map((r) => [...r])), this.rule.activation));
    const rows = t.arraySync();
    t.dispose();
    return rows.map((r) => r[this.rule.label] as number);
  }

  #scoresOf(logits: readonly number[][]): number[] {
    return logits.map((r) => r[this.rule.label] as number);
  }

  async score(job: PassagesJob, ctl: JobControl): Promise<ScoreResponse> {
    const logits = await this.logits(job.query, job.passages, job.masks, ctl);
    return { scores: this.#scoresOf(logits), logits, relevance: this.relevance(logits) };
  }

  /** Scores under the mask and without it, and the ranks of both (best first by relevance, ties in input order). */
  async rerank(job: PassagesJob, ctl: JobControl): Promise<RerankResponse> {
    const neurons = job.masks.reduce((n, m) => n + m.ffn.length, 0);
    const heads = job.masks.reduce((n, m) => n + m.heads.length, 0);
    const plain = job.masks.map(() => ({ ffn: [], heads: [] }));
    const base = await this.logits(job.query, job.passages, plain, ctl, neurons + heads > 0 ? 'scoring without the mask' : 'scoring');
    const masked = neurons + heads > 0 ? await this.logits(job.query, job.passages, job.masks, ctl, 'scoring with the mask') : base;
    const baseRel = this.relevance(base);
    const rel = masked === base ? baseRel : this.relevance(masked);
    const baseRank = ranksOf(baseRel);
    const rank = ranksOf(rel);
    const scores = this.#scoresOf(masked);
    const baseScores = this.#scoresOf(base);
    const ranking: RankedPassage[] = rel
      .map((_r, index) => ({
        index,
        rank: rank[index] as number,
        score: scores[index] as number,
        relevance: rel[index] as number,
        baselineRank: baseRank[index] as number,
        baselineScore: baseScores[index] as number,
        change: (baseRank[index] as number) - (rank[index] as number),
      }))
      .sort((a, b) => a.rank - b.rank);
    return { scores, relevance: rel, baseline: { scores: baseScores, relevance: baseRel }, ranking, masked: { neurons, heads } };
  }

  /** NIG of one pair at every layer's `ffn.pre`, per token, reduced to what the page draws. */
  async attribute(job: AttributeJob, ctl: JobControl): Promise<AttributeResponse> {
    const [enc] = await this.#encode([[job.query, job.passage]]);
    if (enc === undefined) throw new Error('the tokenizer returned no encoding');
    const [res] = await attribute(this.model, [enc], {
      method: 'nig',
      sites: [EXPLORER_SITE],
      steps: job.steps,
      baseline: job.baseline,
      rule: job.rule,
      perToken: true,
      unkId: this.tokenizer.unkId,
      masks: job.masks,
      onPathProgress: async (done, total) => {
        ctl.progress(done, total, 'NIG path points');
        await ctl.checkpoint();
      },
    });
    if (res === undefined) throw new Error('attribution returned no result');
    const layers = Array.from({ length: this.model.config.numLayers }, (_v, l) => layerAttribution(res, l, job.top));
    return {
      tokens: this.#tokens(enc),
      segments: layout(res.segments),
      steps: job.steps,
      baseline: job.baseline,
      rule: job.rule,
      targetInput: res.targetInput,
      targetBaseline: res.targetBaseline,
      completeness: Array.from(res.completeness),
      completenessRelative: Array.from(res.completenessRelative),
      layers,
    };
  }

  /** One head's attention probabilities on one pair (site `layer.{l}.attn.probs`, after any head mask). */
  async attention(job: AttentionJob, ctl: JobControl): Promise<AttentionResponse> {
    const [enc] = await this.#encode([[job.query, job.passage]]);
    if (enc === undefined) throw new Error('the tokenizer returned no encoding');
    await ctl.checkpoint();
    const site = layerSite(job.layer, 'attn.probs');
    const inputs = toInputs(padBatch([enc], this.model.config.padTokenId), this.model.config);
    try {
      const r = runModel(this.model, inputs, { capture: [site], masks: job.masks });
      try {
        const probs = r.captured.get(site) as tf.Tensor; // [1, heads, T, T]
        const head = tf.tidy(() => tf.squeeze(tf.slice(probs, [0, job.head, 0, 0], [1, 1, -1, -1]), [0, 1]));
        const rows = (await head.array()) as number[][];
        head.dispose();
        return { tokens: this.#tokens(enc), layer: job.layer, head: job.head, probs: rows };
      } finally {
        disposeRun(r);
      }
    } finally {
      disposeInputs(inputs);
    }
  }
}

/** Rank (1 = best) of each value; equal values keep input order, as celens rank sorts. */
export function ranksOf(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const ranks = new Array<number>(values.length);
  order.forEach(([, i], k) => {
    ranks[i] = k + 1;
  });
  return ranks;
}

function layout(s: Segments): AttributeResponse['segments'] {
  return { cls: s.cls, query: s.query, sep1: s.sep1, passage: s.passage, sep2: s.sep2 };
}

/** The five per-segment rows (SEGMENT_NAMES order) of one neuron → the four parts the page shows. */
function segmentSums(bySegment: Float32Array, width: number, neuron: number): SegmentSums {
  const at = (name: (typeof SEGMENT_NAMES)[number]): number => bySegment[SEGMENT_NAMES.indexOf(name) * width + neuron] as number;
  return { cls: at('cls'), query: at('query'), sep: at('sep1') + at('sep2'), passage: at('passage') };
}

function layerAttribution(res: PairAttribution, layer: number, top: number): LayerAttribution {
  const site = layerSite(layer, EXPLORER_SITE);
  const sum = res.sum.get(site);
  const bySegment = res.bySegment.get(site);
  const perToken = res.perToken?.get(site);
  if (!sum || !bySegment || !perToken) throw new Error(`attribution lacks ${site}`);
  const W = sum.length;
  const picked = Array.from(sum, (v, j) => [v, j] as const)
    .sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]) || a[1] - b[1])
    .slice(0, top)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .map(([, j]) => j);
  const segments: SegmentSums = { cls: 0, query: 0, sep: 0, passage: 0 };
  for (let j = 0; j < W; j++) {
    const s = segmentSums(bySegment, W, j);
    segments.cls += s.cls;
    segments.query += s.query;
    segments.sep += s.sep;
    segments.passage += s.passage;
  }
  const T = perToken.length / W;
  return {
    layer,
    site,
    width: W,
    total: segments.cls + segments.query + segments.sep + segments.passage,
    segments,
    top: picked,
    topSums: picked.map((j) => sum[j] as number),
    topSegments: picked.map((j) => segmentSums(bySegment, W, j)),
    perToken: Array.from({ length: T }, (_v, t) => picked.map((j) => perToken[t * W + j] as number)),
  };
}
