/**
 * Pair encoding on top of HF's Rust tokenizer (the `tokenizers` Node binding), so that ids,
 * token types and truncation match `AutoTokenizer(...)(queries, passages, truncation=...)` of
 * the fast BERT tokenizer exactly.
 */
import type { Encoding, Tokenizer, TruncationOptions, TruncationStrategy } from 'tokenizers';
import { TokenizerError } from '../errors.js';

/** One `[CLS] query [SEP] passage [SEP]` sequence, as HF returns it (no padding). */
export interface PairEncoding {
  inputIds: number[];
  /** 0 for `[CLS] query [SEP]`, 1 for `passage [SEP]` (BERT segment ids). */
  tokenTypeIds: number[];
}

/**
 * HF truncation strategies for pairs. `longest_first` is the Rust algorithm (see
 * {@link PairTokenizer.encodePairs}); `only_second` cuts only the passage.
 */
export type Truncation = 'longest_first' | 'only_second';

export interface EncodeOptions {
  /**
   * Total length including `[CLS]` and both `[SEP]`; at least 3. Default:
   * {@link PairTokenizer.defaultMaxLength} = min(tokenizer_config `model_max_length`,
   * max_position_embeddings given at load, 512).
   */
  maxLength?: number;
  /** Default `longest_first`, as in HF `truncation=True`. */
  truncation?: Truncation;
}

/** Everything `loadTokenizer` builds; two binding instances from the same files. */
export interface PairTokenizerParts {
  /** Used only for encodes without truncation; never reconfigured after construction. */
  textTokenizer: Tokenizer;
  /** Reconfigured (setTruncation) under a lock right before each batch of pair encodes. */
  pairTokenizer: Tokenizer;
  padId: number;
  clsId: number;
  sepId: number;
  unkId: number;
  vocabSize: number;
  modelMaxLength: number;
  defaultMaxLength: number;
  /** The file the tokenizer came from, for error messages. */
  source: string;
}

/** `[CLS]`, `[SEP]`, `[SEP]`: the special tokens BERT's pair template adds. */
export const PAIR_SPECIAL_TOKENS = 3;

// `TruncationStrategy` is an ambient const enum, which isolatedModules forbids reading at runtime;
// its values are these strings (the binding's JsTruncationStrategy).
const STRATEGY: Record<Truncation, TruncationStrategy> = {
  longest_first: 'LongestFirst' as TruncationStrategy,
  only_second: 'OnlySecond' as TruncationStrategy,
};

/** Pairs encoded concurrently per round: enough to keep the libuv pool busy, bounded memory. */
const CHUNK = 2048;

/**
 * A BERT WordPiece tokenizer for (query, passage) pairs with HF fast-tokenizer semantics.
 *
 * The binding's `encode` runs on the libuv pool and reads the tokenizer's truncation settings
 * when the work item runs, not when it is queued; `setTruncation` mutates that shared state. So
 * pair batches run one at a time under a lock, each setting truncation just before it starts,
 * and text encodes use a second instance whose settings never change.
 */
export class PairTokenizer {
  readonly padId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly unkId: number;
  /** Vocabulary size including added tokens (30522 for bert-base-uncased). */
  readonly vocabSize: number;
  /** tokenizer_config.json `model_max_length`; Infinity when not given (HF: "very large"). */
  readonly modelMaxLength: number;
  /** The maxLength used when a caller gives none. */
  readonly defaultMaxLength: number;
  readonly source: string;
  readonly #text: Tokenizer;
  readonly #pair: Tokenizer;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(parts: PairTokenizerParts) {
    this.#text = parts.textTokenizer;
    this.#pair = parts.pairTokenizer;
    this.padId = parts.padId;
    this.clsId = parts.clsId;
    this.sepId = parts.sepId;
    this.unkId = parts.unkId;
    this.vocabSize = parts.vocabSize;
    this.modelMaxLength = parts.modelMaxLength;
    this.defaultMaxLength = parts.defaultMaxLength;
    this.source = parts.source;
  }

  /**
   * Encodes `[CLS] query [SEP] passage [SEP]` for each pair, truncating to `maxLength`.
   *
   * `longest_first` is HF's Rust algorithm: with budget b = maxLength − 3, the shorter side keeps
   * its length if the longer one can still get at least as many tokens; otherwise the shorter side
   * gets ⌊b/2⌋ and the longer ⌈b/2⌉ (on equal lengths the passage counts as the longer). Tokens
   * are cut from the right. The slow Python tokenizer differs when b is odd and the passage is
   * not shorter than the query: it gives the odd token to the query.
   * `only_second` cuts only the passage and, like HF, fails when that would leave no passage
   * token: the error names the pair's index (0-based).
   */
  async encodePairs(
    pairs: ReadonlyArray<readonly [string, string]>,
    opts: EncodeOptions = {},
  ): Promise<PairEncoding[]> {
    const maxLength = opts.maxLength ?? this.defaultMaxLength;
    const truncation = opts.truncation ?? 'longest_first';
    if (!Number.isInteger(maxLength) || maxLength < PAIR_SPECIAL_TOKENS || maxLength > 0xffffffff) {
      // The binding accepts lengths below 3 and returns sequences longer than asked.
      throw new TokenizerError(`max length must be an integer ≥ ${PAIR_SPECIAL_TOKENS}, got ${maxLength}`);
    }
    if (!Object.hasOwn(STRATEGY, truncation)) {
      throw new TokenizerError(`unknown truncation '${String(truncation)}' (longest_first or only_second)`);
    }
    if (pairs.length === 0) return [];
    // The string form must be lower-case ('Right', the enum's d.ts value, is rejected).
    const options: TruncationOptions = { strategy: STRATEGY[truncation], stride: 0, direction: 'right' };
    const out: PairEncoding[] = [];
    await this.#locked(async () => {
      // Set inside the lock, right before queueing: no other configuration can be queued
      // until every encode of this batch has settled.
      this.#pair.setTruncation(maxLength, options);
      for (let start = 0; start < pairs.length; start += CHUNK) {
        const chunk = pairs.slice(start, start + CHUNK);
        const settled = await Promise.allSettled(chunk.map(([q, p]) => attempt(() => this.#pair.encode(q, p))));
        for (let i = 0; i < settled.length; i++) {
          const s = settled[i];
          if (s === undefined) continue;
          if (s.status === 'rejected') {
            const pair = chunk[i];
            throw await this.#pairError(start + i, pair?.[0] ?? '', truncation, maxLength, s.reason);
          }
          out.push({ inputIds: s.value.getIds(), tokenTypeIds: s.value.getTypeIds() });
        }
      }
    });
    return out;
  }

  /** The vocabulary's token for an id (`[CLS]`, `tide`, `##s`), or undefined for an id it lacks. */
  idToToken(id: number): string | undefined {
    return this.#pair.idToToken(id) ?? undefined;
  }

  /** WordPiece ids of one text, without `[CLS]`/`[SEP]` and without truncation. */
  async encodeText(text: string): Promise<number[]> {
    const enc = await attempt(() => this.#text.encode(text, null, { addSpecialTokens: false }));
    return enc.getIds();
  }

  /** {@link encodeText} for many texts in one batch (the binding parallelises it). */
  async encodeTexts(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const encs: Encoding[] = await attempt(() => this.#text.encodeBatch([...texts], { addSpecialTokens: false }));
    return encs.map((e) => e.getIds());
  }

  async #pairError(
    index: number,
    query: string,
    truncation: Truncation,
    maxLength: number,
    reason: unknown,
  ): Promise<TokenizerError> {
    const detail = reason instanceof Error ? reason.message : String(reason);
    if (truncation === 'only_second' && /truncat/i.test(detail)) {
      const n = (await this.encodeText(query)).length;
      return new TokenizerError(
        `pair ${index}: the query has ${n} tokens, so with only_second truncation [CLS] query [SEP] passage [SEP] ` +
          `needs max length ≥ ${n + PAIR_SPECIAL_TOKENS + 1} to keep a passage token, got ${maxLength} ` +
          `(HF raises here too; use longest_first or a larger max length)`,
      );
    }
    return new TokenizerError(`pair ${index}: ${detail}`);
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }
}

/** Turns a synchronous throw of the binding (e.g. a non-string argument) into a rejection. */
function attempt<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (err: unknown) {
    return Promise.reject(err);
  }
}

/**
 * A padded batch of token ids as plain arrays, row-major `[batch, seqLen]`: what padBatch makes,
 * readTokenBatch reads from safetensors, and toInputs (model/inputs.ts) turns into tensors.
 */
export interface TokenBatch {
  inputIds: Int32Array;
  /** 0 for `[CLS] query [SEP]`, 1 for `passage [SEP]`, 0 on padding. */
  tokenTypeIds: Int32Array;
  /** 1 on real tokens, 0 on padding. */
  attentionMask: Int32Array;
  batch: number;
  seqLen: number;
}

/**
 * Right-pads encodings to a common length, as HF `padding=True` (or `'max_length'` with
 * `padTo`) does for BERT: pad id, token type 0 and attention mask 0 on padding.
 * `padTo` defaults to the longest encoding; an encoding longer than `padTo` is an error
 * (HF would leave it unpadded and fail later when building the tensor).
 */
export function padBatch(encs: readonly PairEncoding[], padId: number, padTo?: number): TokenBatch {
  let longest = 0;
  encs.forEach((e, i) => {
    if (e.inputIds.length !== e.tokenTypeIds.length) {
      throw new TokenizerError(
        `encoding ${i} has ${e.inputIds.length} input ids but ${e.tokenTypeIds.length} token type ids`,
      );
    }
    longest = Math.max(longest, e.inputIds.length);
  });
  if (padTo !== undefined && (!Number.isInteger(padTo) || padTo < 0)) {
    throw new TokenizerError(`padTo must be a non-negative integer, got ${padTo}`);
  }
  const seqLen = padTo ?? longest;
  if (longest > seqLen) {
    throw new TokenizerError(`an encoding has ${longest} tokens, more than padTo = ${seqLen}`);
  }
  const batch = encs.length;
  const inputIds = new Int32Array(batch * seqLen).fill(padId);
  const tokenTypeIds = new Int32Array(batch * seqLen);
  const attentionMask = new Int32Array(batch * seqLen);
  encs.forEach((e, b) => {
    const row = b * seqLen;
    inputIds.set(e.inputIds, row);
    tokenTypeIds.set(e.tokenTypeIds, row);
    attentionMask.fill(1, row, row + e.inputIds.length);
  });
  return { inputIds, tokenTypeIds, attentionMask, batch, seqLen };
}
