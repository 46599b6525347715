/**
 * Loading a BERT tokenizer from a local folder in Hugging Face layout, the way
 * `AutoTokenizer.from_pretrained(dir)` builds `BertTokenizerFast`.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Model } from 'tokenizers';
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, bertProcessing, wordPieceDecoder } from 'tokenizers';
import { ConfigError, TokenizerError } from '../errors.js';
import { readText } from '../formats/files.js';
import { parseJson, readJsonFile } from '../formats/json.js';
import { PairTokenizer } from './encode.js';

/** Tokenizer files are read with TokenizerError, the class every tokenizer problem has. */
const AS_TOKENIZER = { error: TokenizerError };

export interface LoadOptions {
  /**
   * The model's `max_position_embeddings`: the default max length never exceeds it
   * (HF does not know it, so a longer `model_max_length` would crash the model).
   */
  maxPositionEmbeddings?: number;
}

/** The tokenizer_config.json fields that change how a BERT tokenizer encodes. */
interface BertTokenizerConfig {
  modelMaxLength: number;
  doLowerCase: boolean | undefined;
  /** null: follow lowercase (HF). */
  stripAccents: boolean | null | undefined;
  tokenizeChineseChars: boolean | undefined;
  tokenizerClass: string | undefined;
  names: { pad: string; unk: string; cls: string; sep: string; mask: string };
}

/** The longest input BERT checkpoints are trained for; HF's usual `model_max_length`. */
export const BERT_MAX_LENGTH = 512;

/**
 * Loads the tokenizer in `dir`: `tokenizer.json` when present (what HF's fast tokenizer uses),
 * else a bare `vocab.txt` built like HF's BertConverter (BertNormalizer with clean_text,
 * Chinese-character splitting, lower-casing per `do_lower_case` and accent stripping that
 * follows lower-casing unless `strip_accents` says otherwise; BertPreTokenizer; WordPiece with
 * `[UNK]`, `##`, 100 chars per word; `[CLS] A [SEP] B [SEP]`). `tokenizer_config.json` supplies
 * `model_max_length` and, as BertTokenizerFast does, overrides the tokenizer.json normalizer's
 * lowercase / strip_accents / Chinese-chars flags when they disagree.
 * Truncation and padding stored in tokenizer.json are discarded: {@link PairTokenizer} sets its own.
 */
export async function loadTokenizer(dir: string, opts: LoadOptions = {}): Promise<PairTokenizer> {
  const config = await readTokenizerConfig(dir);
  const jsonFile = path.join(dir, 'tokenizer.json');
  const vocabFile = path.join(dir, 'vocab.txt');
  let source: string;
  let build: () => Promise<Tokenizer>;
  if (await isFile(jsonFile)) {
    source = jsonFile;
    const text = await readText(jsonFile, AS_TOKENIZER);
    const json = parseJson(text, jsonFile, AS_TOKENIZER);
    build = async () => fromTokenizerJson(text, json, jsonFile, config);
  } else if (await isFile(vocabFile)) {
    source = vocabFile;
    const lines = (await readText(vocabFile, AS_TOKENIZER)).split('\n').map((l) => l.trimEnd());
    const { pad, unk, cls, sep } = config.names;
    const missing = [pad, unk, cls, sep].filter((t) => !lines.includes(t));
    if (missing.length > 0) throw new TokenizerError(`vocab lacks ${missing.join(', ')}`, { file: vocabFile });
    build = async () => fromVocab(vocabFile, lines, config);
  } else {
    throw new TokenizerError('no tokenizer.json or vocab.txt in this folder', { file: dir });
  }
  const [textTokenizer, pairTokenizer] = await Promise.all([build(), build()]);
  const id = (token: string): number => {
    const found = textTokenizer.tokenToId(token);
    if (found === null || found === undefined) throw new TokenizerError(`no ${token} token`, { file: source });
    return found;
  };
  const { modelMaxLength } = config;
  return new PairTokenizer({
    textTokenizer,
    pairTokenizer,
    padId: id(config.names.pad),
    clsId: id(config.names.cls),
    sepId: id(config.names.sep),
    unkId: id(config.names.unk),
    vocabSize: textTokenizer.getVocabSize(true),
    modelMaxLength,
    defaultMaxLength: Math.min(modelMaxLength, opts.maxPositionEmbeddings ?? BERT_MAX_LENGTH, BERT_MAX_LENGTH),
    source,
  });
}

function fromTokenizerJson(text: string, json: unknown, file: string, config: BertTokenizerConfig): Tokenizer {
  checkPostProcessor(isRecord(json) ? json.post_processor : undefined, file);
  let tok: Tokenizer;
  try {
    tok = Tokenizer.fromString(text);
  } catch (err: unknown) {
    throw new TokenizerError(`not a Hugging Face tokenizer file: ${errorText(err)}`, { file });
  }
  tok.disableTruncation();
  tok.disablePadding();
  const normalizer = isRecord(json) && isRecord(json.normalizer) ? json.normalizer : undefined;
  const bertClass = config.tokenizerClass === undefined || /^Bert(Tokenizer)?(Fast)?$/.test(config.tokenizerClass);
  if (normalizer?.type === 'BertNormalizer' && bertClass) {
    // BertTokenizerFast.__init__: tokenizer_config's do_lower_case / strip_accents /
    // tokenize_chinese_chars win over the serialized normalizer when they differ.
    const lowercase = config.doLowerCase ?? true;
    const stripAccents = config.stripAccents ?? null;
    const chinese = config.tokenizeChineseChars ?? true;
    const differs =
      (normalizer.lowercase ?? lowercase) !== lowercase ||
      (normalizer.strip_accents ?? null) !== stripAccents ||
      (normalizer.handle_chinese_chars ?? chinese) !== chinese;
    if (differs) {
      tok.setNormalizer(
        bertNormalizer({
          cleanText: typeof normalizer.clean_text === 'boolean' ? normalizer.clean_text : true,
          handleChineseChars: chinese,
          lowercase,
          ...(stripAccents === null ? {} : { stripAccents }),
        }),
      );
    }
  }
  return tok;
}

/**
 * The binding loads a TemplateProcessing whose template names a special token missing from its
 * `special_tokens`, then panics on the first encode (tokenizers processors/template.rs), which
 * aborts the whole process: refuse such a file here. Templates come as piece lists (what
 * save_pretrained writes) or as strings (`"[CLS]:0 $A:0 [SEP]:0"`); processors may nest in a
 * Sequence. (Found by fuzzing: docs/fuzzing.md.)
 */
function checkPostProcessor(p: unknown, file: string): void {
  if (!isRecord(p)) return;
  // The binding reads post-processors by shape (serde untagged), whatever their "type" says: a
  // misspelt type still loads as a template, so anything shaped like one is checked.
  if (Array.isArray(p.processors)) for (const q of p.processors as unknown[]) checkPostProcessor(q, file);
  if (p.single === undefined && p.pair === undefined) return;
  const special = isRecord(p.special_tokens) ? p.special_tokens : {};
  for (const key of ['single', 'pair']) {
    const template = p[key];
    const ids = typeof template === 'string'
      ? template.split(/\s+/).filter((w) => w !== '' && !w.startsWith('$')).map((w) => w.replace(/:\d+$/, ''))
      : Array.isArray(template) ? (template as unknown[]).map((x) => (isRecord(x) && isRecord(x.SpecialToken) ? x.SpecialToken.id : undefined)).filter((id) => id !== undefined) : [];
    const missing = ids.find((id) => typeof id !== 'string' || !Object.hasOwn(special, id));
    if (missing !== undefined) {
      throw new TokenizerError(`post_processor: the ${key} template uses special token ${JSON.stringify(missing)}, which its special_tokens do not define`, { file });
    }
  }
  for (const [name, t] of Object.entries(special)) {
    if (isRecord(t) && Array.isArray(t.ids) && Array.isArray(t.tokens) && t.ids.length !== t.tokens.length) {
      throw new TokenizerError(`post_processor: special token ${JSON.stringify(name)} has ${t.ids.length} ids but ${t.tokens.length} tokens`, { file });
    }
  }
}

async function fromVocab(file: string, lines: string[], config: BertTokenizerConfig): Promise<Tokenizer> {
  const { unk, cls, sep, pad, mask } = config.names;
  let model: Model;
  try {
    model = await WordPiece.fromFile(file, { unkToken: unk, continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 });
  } catch (err: unknown) {
    throw new TokenizerError(`cannot read vocabulary: ${errorText(err)}`, { file });
  }
  const tok = new Tokenizer(model);
  const lowercase = config.doLowerCase ?? true;
  tok.setNormalizer(
    bertNormalizer({
      cleanText: true,
      handleChineseChars: config.tokenizeChineseChars ?? true,
      lowercase,
      // Leaving it unset gives HF's strip_accents=None: strip exactly when lower-casing.
      ...(typeof config.stripAccents === 'boolean' ? { stripAccents: config.stripAccents } : {}),
    }),
  );
  tok.setPreTokenizer(bertPreTokenizer());
  const sepId = tok.tokenToId(sep);
  const clsId = tok.tokenToId(cls);
  if (typeof sepId !== 'number' || typeof clsId !== 'number') {
    throw new TokenizerError(`vocab lacks ${sep} or ${cls}`, { file });
  }
  tok.setPostProcessor(bertProcessing([sep, sepId], [cls, clsId]));
  tok.setDecoder(wordPieceDecoder('##', true));
  // PreTrainedTokenizerFast registers the special tokens, so "[SEP]" in a text stays one token.
  tok.addSpecialTokens([pad, unk, cls, sep, mask].filter((t) => lines.includes(t)));
  return tok;
}

/** Reads tokenizer_config.json if present; HF defaults otherwise. */
async function readTokenizerConfig(dir: string): Promise<BertTokenizerConfig> {
  const file = path.join(dir, 'tokenizer_config.json');
  const raw: unknown = (await isFile(file)) ? parseJson(await readText(file, AS_TOKENIZER), file, AS_TOKENIZER) : {};
  if (!isRecord(raw)) throw new TokenizerError('expected a JSON object', { file });
  const bool = (key: string): boolean | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new TokenizerError(`${key} must be true or false`, { file });
    return v;
  };
  const name = (key: string, dflt: string): string => {
    const v = raw[key];
    if (typeof v === 'string') return v;
    // Older configs store special tokens as serialized AddedToken objects.
    if (isRecord(v) && typeof v.content === 'string') return v.content;
    return dflt;
  };
  const mml = raw.model_max_length;
  if (mml !== undefined && mml !== null && (typeof mml !== 'number' || !(mml > 0))) {
    throw new TokenizerError('model_max_length must be a positive number', { file });
  }
  const sa = raw.strip_accents;
  return {
    modelMaxLength: typeof mml === 'number' ? mml : Number.POSITIVE_INFINITY,
    doLowerCase: bool('do_lower_case'),
    stripAccents: sa === null ? null : bool('strip_accents'),
    tokenizeChineseChars: bool('tokenize_chinese_chars'),
    tokenizerClass: typeof raw.tokenizer_class === 'string' ? raw.tokenizer_class : undefined,
    names: {
      pad: name('pad_token', '[PAD]'),
      unk: name('unk_token', '[UNK]'),
      cls: name('cls_token', '[CLS]'),
      sep: name('sep_token', '[SEP]'),
      mask: name('mask_token', '[MASK]'),
    },
  };
}

/**
 * `max_position_embeddings` from `dir/config.json`, or undefined when there is no config.json
 * or it lacks the field. Only this one field is read here; the model loader validates the rest.
 */
export async function readMaxPositionEmbeddings(dir: string): Promise<number | undefined> {
  const file = path.join(dir, 'config.json');
  if (!(await isFile(file))) return undefined;
  const json = await readJsonFile(file, { what: 'config', error: ConfigError });
  const v = isRecord(json) ? json.max_position_embeddings : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ConfigError('max_position_embeddings must be a positive integer', { file });
  }
  return v;
}

/** The pairs of a `query<TAB>passage[<TAB>grade]` file (see readGradedPairsTsv; grades ignored). */
export async function readPairsTsv(file: string): Promise<Array<[string, string]>> {
  return (await readGradedPairsTsv(file)).pairs;
}

/**
 * Reads `query<TAB>passage[<TAB>grade]` lines: the pairs, and per pair its relevance grade (a
 * non-negative integer) or undefined where the line has none. Errors name `file:line`.
 */
export async function readGradedPairsTsv(file: string): Promise<{ pairs: Array<[string, string]>; grades: Array<number | undefined> }> {
  const lines = (await readText(file, AS_TOKENIZER)).split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const pairs: Array<[string, string]> = [];
  const grades: Array<number | undefined> = [];
  lines.forEach((raw, i) => {
    const cols = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).split('\t');
    if (cols.length !== 2 && cols.length !== 3) {
      throw new TokenizerError(`expected query<TAB>passage[<TAB>grade], found ${cols.length - 1} tabs`, { file, line: i + 1 });
    }
    const g = cols[2];
    if (g !== undefined && !/^\d+$/.test(g.trim())) throw new TokenizerError(`the grade must be a non-negative integer, found '${g}'`, { file, line: i + 1 });
    pairs.push([cols[0] ?? '', cols[1] ?? '']);
    grades.push(g === undefined ? undefined : Number(g.trim()));
  });
  return { pairs, grades };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}


function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
