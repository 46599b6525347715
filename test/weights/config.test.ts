/** config.json → BertConfig: the real files parse to what they say; everything unsupported is a ConfigError. */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { headSize, parseConfig, readConfig } from '../../src/weights/config.js';
import { ConfigError } from '../../src/errors.js';
import { at, cleanupTempDirs, escapeRe, expectReject, fixture, tempDir } from './util.js';

afterAll(cleanupTempDirs);

const MINILM = resolve(process.cwd(), '../shared/data/ms-marco-MiniLM-L-6-v2/config.json');
const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
const base = json(fixture('config.json'));
/** The fixture config with `patch` applied (undefined deletes a key). */
const withPatch = (patch: Record<string, unknown>): Record<string, unknown> => {
  const o: Record<string, unknown> = { ...base, ...patch };
  for (const [k, v] of Object.entries(patch)) if (v === undefined) delete o[k];
  return o;
};
const F = 'cfg.json';
const fails = (patch: Record<string, unknown>, rest: string): void => {
  expect(() => parseConfig(withPatch(patch), F)).toThrow(ConfigError);
  expect(() => parseConfig(withPatch(patch), F)).toThrow(at(F, undefined, rest));
};

describe('real configs', () => {
  test.each([
    ['tiny-bert-ce', fixture('config.json'), { hidden: 32, layers: 3, heads: 4, ffn: 64, maxPos: 128 }],
    ['ms-marco-MiniLM-L-6-v2', MINILM, { hidden: 384, layers: 6, heads: 12, ffn: 1536, maxPos: 512 }],
  ])('%s', async (_, file, want) => {
    const c = await readConfig(file);
    const raw = json(file);
    // Against the file itself…
    expect(c).toEqual({
      vocabSize: raw.vocab_size,
      hiddenSize: raw.hidden_size,
      numLayers: raw.num_hidden_layers,
      numHeads: raw.num_attention_heads,
      intermediateSizes: new Array(raw.num_hidden_layers as number).fill(raw.intermediate_size),
      hiddenAct: raw.hidden_act,
      maxPositionEmbeddings: raw.max_position_embeddings,
      typeVocabSize: raw.type_vocab_size,
      layerNormEps: raw.layer_norm_eps,
      padTokenId: raw.pad_token_id,
      numLabels: Object.keys(raw.id2label as object).length,
      raw,
    });
    // …and against the numbers written down elsewhere (the README, the model card).
    expect([c.hiddenSize, c.numLayers, c.numHeads, c.intermediateSizes[0], c.maxPositionEmbeddings]).toEqual([want.hidden, want.layers, want.heads, want.ffn, want.maxPos]);
    expect([c.vocabSize, c.typeVocabSize, c.padTokenId, c.numLabels, c.hiddenAct, c.layerNormEps]).toEqual([30522, 2, 0, 1, 'gelu', 1e-12]);
    expect(headSize(c)).toBe(want.hidden / want.heads);
  });

  test('HF defaults for absent keys', () => {
    const c = parseConfig({}, F);
    expect(c).toMatchObject({ vocabSize: 30522, hiddenSize: 768, numLayers: 12, numHeads: 12, hiddenAct: 'gelu', maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12, padTokenId: 0, numLabels: 2 });
    expect(c.intermediateSizes).toEqual(new Array(12).fill(3072));
  });
});

describe('ConfigError', () => {
  test('file not readable, not JSON, not an object', async () => {
    const d = await tempDir();
    const file = join(d, 'config.json');
    await expectReject(() => readConfig(file), at(file, undefined, 'cannot read config \\(ENOENT\\)$'), ConfigError);
    await writeFile(file, '{"hidden_size": 32,');
    await expectReject(() => readConfig(file), new RegExp(`^${escapeRe(file)}:1: not valid JSON \\(column 20: `), ConfigError);
    for (const v of ['[]', '"bert"', '1', 'null']) {
      await writeFile(file, v);
      await expectReject(() => readConfig(file), at(file, undefined, 'not a JSON object$'), ConfigError);
    }
  });

  test('unsupported architectures', () => {
    fails({ model_type: 'roberta' }, 'unsupported model_type \\(expected "bert", found "roberta"\\)$');
    fails({ hidden_act: 'swish' }, 'unsupported hidden_act \\(expected gelu\\|gelu_new\\|relu, found "swish"\\)$');
    fails({ hidden_act: 'gelu_python' }, 'unsupported hidden_act');
    fails({ position_embedding_type: 'relative_key' }, 'unsupported position_embedding_type \\(expected "absolute", found "relative_key"\\)$');
    fails({ is_decoder: true }, 'decoder BERT models are not supported$');
    fails({ add_cross_attention: true }, 'decoder BERT models');
  });

  test('sizes', () => {
    fails({ hidden_size: 30 }, 'hidden_size 30 is not a multiple of num_attention_heads 4$');
    fails({ hidden_size: 32.5 }, '"hidden_size" must be an integer >= 1 \\(expected \\?, found 32.5\\)$');
    fails({ hidden_size: '32' }, '"hidden_size" must be an integer >= 1 \\(expected \\?, found "32"\\)$');
    fails({ hidden_size: null }, '"hidden_size" must be an integer >= 1 \\(expected \\?, found null\\)$');
    fails({ num_attention_heads: 0 }, '"num_attention_heads" must be an integer >= 1');
    fails({ num_hidden_layers: -1 }, '"num_hidden_layers" must be an integer >= 1');
    fails({ intermediate_size: 6.4 }, '"intermediate_size" must be an integer');
    fails({ vocab_size: 0 }, '"vocab_size" must be an integer >= 1');
    fails({ max_position_embeddings: 1e400 }, '"max_position_embeddings" must be an integer');
    fails({ type_vocab_size: [2] }, '"type_vocab_size" must be an integer');
    fails({ layer_norm_eps: 0 }, '"layer_norm_eps" must be a positive number \\(expected \\?, found 0\\)$');
    fails({ layer_norm_eps: null }, '"layer_norm_eps" must be a positive number');
  });

  test('labels and padding', () => {
    fails({ num_labels: 0, id2label: undefined }, '"num_labels" must be an integer >= 1 \\(expected \\?, found 0\\)$');
    fails({ num_labels: 1.5 }, '"num_labels" must be an integer >= 1');
    fails({ id2label: {} }, '"id2label" is empty$');
    fails({ id2label: ['a', 'b'] }, '"id2label" must be an object$');
    fails({ id2label: 'LABEL_0' }, '"id2label" must be an object$');
    fails({ id2label: { zero: 'LABEL_0' } }, '"id2label" key "zero" is not an integer$');
    fails({ pad_token_id: 30522 }, '"pad_token_id" 30522 is outside the vocabulary \\(30522\\)$');
    fails({ pad_token_id: -1 }, '"pad_token_id" must be an integer >= 0');
  });

  test('celens_intermediate_sizes', () => {
    for (const bad of [[64, 64], [64, 64, 64, 64], [64, -1, 64], [64, 1.5, 64], '64', { 0: 64 }, null]) {
      fails({ celens_intermediate_sizes: bad }, `"celens_intermediate_sizes" must list 3 non-negative integers \\(expected \\?, found ${JSON.stringify(bad).replace(/[[\]{}.]/g, '\\$&')}\\)$`);
    }
    // A pruned export: per-layer widths, 0 allowed (the whole FFN pruned away).
    expect(parseConfig(withPatch({ celens_intermediate_sizes: [64, 10, 0] }), F).intermediateSizes).toEqual([64, 10, 0]);
  });
});

describe('num_labels as HF computes it', () => {
  test('from id2label (2-label MonoBERT style)', () => {
    const c = parseConfig(withPatch({ id2label: { 0: 'not_relevant', 1: 'relevant' }, label2id: { not_relevant: 0, relevant: 1 } }), F);
    expect(c.numLabels).toBe(2);
  });
  test('HF default 2 without id2label or num_labels', () => {
    expect(parseConfig(withPatch({ id2label: undefined, label2id: undefined }), F).numLabels).toBe(2);
    expect(parseConfig(withPatch({ id2label: null }), F).numLabels).toBe(2);
  });
  test('num_labels alone; id2label wins when both are given (PretrainedConfig does so)', () => {
    expect(parseConfig(withPatch({ id2label: undefined, num_labels: 3 }), F).numLabels).toBe(3);
    expect(parseConfig(withPatch({ num_labels: 3 }), F).numLabels).toBe(1);
  });
  test('pad_token_id null is allowed (HF: no padding_idx) and means 0', () => {
    expect(parseConfig(withPatch({ pad_token_id: null }), F).padTokenId).toBe(0);
    expect(parseConfig(withPatch({ pad_token_id: 5 }), F).padTokenId).toBe(5);
  });
});
