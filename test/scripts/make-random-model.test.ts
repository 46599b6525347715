/**
 * scripts/make-random-model: deterministic bytes per seed, HF-shaped config and state dict that
 * loadModel accepts, HF's initialisation statistics, tokenizer files copied with vocab_size.
 */
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { Xoshiro128, fnv1a, makeRandomModel, PRESETS, resolveShape, tokenizerJsonVocabSize, vocabTxtSize } from '../../scripts/make-random-model.js';
import type { ModelShape } from '../../scripts/make-random-model.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import { readConfig } from '../../src/weights/config.js';
import type { BertConfig } from '../../src/weights/config.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { selectBackend } from '../../src/backend/select.js';
import { bertForward } from '../../src/model/bert.js';
import { SHARED } from '../helpers/fixture.js';

const MINILM_TOKENIZER = join(SHARED, 'data/ms-marco-MiniLM-L-6-v2');

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'celens-random-'));
  await selectBackend('cpu');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function expectConfig(c: BertConfig, s: ModelShape): void {
  expect({
    vocabSize: c.vocabSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    numHeads: c.numHeads,
    intermediateSize: c.intermediateSizes[0],
    maxPositionEmbeddings: c.maxPositionEmbeddings,
    typeVocabSize: c.typeVocabSize,
    numLabels: c.numLabels,
  }).toEqual(s);
  expect(new Set(c.intermediateSizes)).toEqual(new Set([s.intermediateSize]));
  expect(c.hiddenAct).toBe('gelu');
  expect(c.layerNormEps).toBe(1e-12);
}

describe('xoshiro128** and Box-Muller', () => {
  test('reference outputs from state {1,2,3,4} (xoshiro128starstar.c, worked by hand)', () => {
    const rng = Xoshiro128.fromState(1, 2, 3, 4);
    expect([rng.nextU32(), rng.nextU32(), rng.nextU32()]).toEqual([11520, 0, 5927040]);
  });

  test('streams are reproducible and distinct', () => {
    const draw = (seed: number, stream: number): number[] => {
      const r = new Xoshiro128(seed, stream);
      return Array.from({ length: 8 }, () => r.nextU32());
    };
    expect(draw(7, fnv1a('a'))).toEqual(draw(7, fnv1a('a')));
    expect(draw(7, fnv1a('a'))).not.toEqual(draw(7, fnv1a('b')));
    expect(draw(7, 0)).not.toEqual(draw(8, 0));
  });

  test('normals have mean 0 and variance 1; uniforms stay in (0, 1)', () => {
    const r = new Xoshiro128(42);
    const n = 200_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const x = r.nextNormal();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.01);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.01);
    for (let i = 0; i < 10_000; i++) {
      const u = r.nextFloat();
      expect(u > 0 && u < 1).toBe(true);
    }
  });
});

describe('makeRandomModel', () => {
  test('same seed → byte-identical files; another seed → other weights, same shapes', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    await makeRandomModel({ out: a, preset: 'tiny', seed: 3 });
    await makeRandomModel({ out: b, preset: 'tiny', seed: 3 });
    await makeRandomModel({ out: c, preset: 'tiny', seed: 4 });
    for (const f of ['config.json', 'model.safetensors']) {
      expect(Buffer.compare(await readFile(join(a, f)), await readFile(join(b, f)))).toBe(0);
    }
    expect(Buffer.compare(await readFile(join(a, 'model.safetensors')), await readFile(join(c, 'model.safetensors')))).not.toBe(0);
    const ta = (await readSafetensors(join(a, 'model.safetensors'))).tensors;
    const tc = (await readSafetensors(join(c, 'model.safetensors'))).tensors;
    expect([...ta.keys()].sort()).toEqual([...tc.keys()].sort());
    const w = 'bert.encoder.layer.0.attention.self.query.weight';
    expect(ta.get(w)?.data).not.toEqual(tc.get(w)?.data);
  });

  test('tiny preset: HF names, F32, {"format":"pt"}, HF initialisation', async () => {
    const dir = join(root, 'tiny');
    const made = await makeRandomModel({ out: dir, preset: 'tiny' });
    expect(made.files).toEqual(['config.json', 'model.safetensors']);
    const st = await readSafetensors(join(dir, 'model.safetensors'));
    expect(st.metadata).toEqual({ format: 'pt' });
    const names = [...st.tensors.keys()];
    expect(names.every((n) => n.startsWith('bert.') || n.startsWith('classifier.'))).toBe(true);
    expect(names).toContain('classifier.weight');
    expect(names).toContain('bert.pooler.dense.bias');
    expect(names).toContain('bert.encoder.layer.1.output.LayerNorm.weight');
    expect(names.length).toBe(5 + 16 * PRESETS.tiny.numLayers + 4);
    expect([...st.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    const get = (n: string): Float32Array => {
      const t = st.tensors.get(n);
      if (!t) throw new Error(`no ${n}`);
      return t.data as Float32Array;
    };
    const w = get('bert.encoder.layer.0.intermediate.dense.weight');
    const mean = w.reduce((s, x) => s + x, 0) / w.length;
    const std = Math.sqrt(w.reduce((s, x) => s + (x - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(Math.abs(std - 0.02)).toBeLessThan(0.002);
    expect(get('bert.encoder.layer.0.intermediate.dense.bias').every((x) => x === 0)).toBe(true);
    expect(get('bert.embeddings.LayerNorm.weight').every((x) => x === 1)).toBe(true);
    expect(get('bert.embeddings.LayerNorm.bias').every((x) => x === 0)).toBe(true);
    // padding_idx row (pad_token_id 0) is zero, the next row is not
    const emb = get('bert.embeddings.word_embeddings.weight');
    const H = PRESETS.tiny.hiddenSize;
    expect(emb.subarray(0, H).every((x) => x === 0)).toBe(true);
    expect(emb.subarray(H, 2 * H).some((x) => x !== 0)).toBe(true);
  });

  test('loadModel loads it and config.json matches the preset; the forward is finite', async () => {
    const dir = join(root, 'load-tiny');
    await makeRandomModel({ out: dir, preset: 'tiny', seed: 9 });
    const raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(raw.architectures).toEqual(['BertForSequenceClassification']);
    expect(raw.model_type).toBe('bert');
    expect(raw.id2label).toEqual({ '0': 'LABEL_0' });
    expect(raw.initializer_range).toBe(0.02);
    expect(Object.keys(raw)).toEqual([...Object.keys(raw)].sort()); // save_pretrained sorts keys
    expectConfig(await readConfig(join(dir, 'config.json')), PRESETS.tiny);
    const before = tf.memory().numTensors;
    const m = await loadModel(dir);
    expect(m.unused).toEqual([]);
    expect(m.dtypes).toEqual(['F32']);
    const ids = tf.tensor2d([[101, 2054, 102, 3000, 102]], [1, 5], 'int32');
    const types = tf.tensor2d([[0, 0, 0, 1, 1]], [1, 5], 'int32');
    const mask = tf.onesLike(ids) as tf.Tensor2D;
    const logits = tf.tidy(() => bertForward(m, { inputIds: ids, tokenTypeIds: types, attentionMask: mask }));
    expect(logits.shape).toEqual([1, 1]);
    expect(Number.isFinite((await logits.data())[0])).toBe(true);
    tf.dispose([logits, ids, types, mask]);
    disposeModel(m);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('minilm-l6 preset has the ms-marco-MiniLM-L-6-v2 shape and loads', async () => {
    const dir = join(root, 'minilm');
    const made = await makeRandomModel({ out: dir, preset: 'minilm-l6' });
    expect(made.parameters).toBe(22_713_601);
    expectConfig(await readConfig(join(dir, 'config.json')), PRESETS['minilm-l6']);
    // the same shape fields as the real model's config.json
    const real = JSON.parse(await readFile(join(MINILM_TOKENIZER, 'config.json'), 'utf8')) as Record<string, unknown>;
    const ours = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const k of ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'vocab_size', 'type_vocab_size', 'hidden_act', 'layer_norm_eps', 'id2label', 'pad_token_id']) {
      expect([k, ours[k]]).toEqual([k, real[k]]);
    }
    const m = await loadModel(dir);
    expect(m.config.numLayers).toBe(6);
    disposeModel(m);
  });

  test('overrides: layers, hidden, heads, ffn, labels', async () => {
    const dir = join(root, 'custom');
    const made = await makeRandomModel({ out: dir, preset: 'tiny', layers: 3, hidden: 24, heads: 3, ffn: 40, labels: 2 });
    expect(made.shape).toMatchObject({ numLayers: 3, hiddenSize: 24, numHeads: 3, intermediateSize: 40, numLabels: 2 });
    const c = await readConfig(join(dir, 'config.json'));
    expect(c.numLabels).toBe(2);
    expect(c.raw.id2label).toEqual({ '0': 'LABEL_0', '1': 'LABEL_1' });
    const m = await loadModel(dir);
    expect(m.params.classifier.weight.shape).toEqual([2, 24]);
    disposeModel(m);
    expect(() => resolveShape({ preset: 'tiny', hidden: 30, heads: 4 })).toThrow(/not a multiple/);
    expect(() => resolveShape({ preset: 'tiny', layers: 0 })).toThrow(/positive integer/);
    await expect(makeRandomModel({ out: dir, seed: -1 })).rejects.toThrow(/seed/);
  });

  test('--vocab: tokenizer.json (+ config files) copied, vocab_size from it; vocab.txt counted by lines', async () => {
    const dir = join(root, 'with-tokenizer');
    const made = await makeRandomModel({ out: dir, preset: 'tiny', vocab: join(MINILM_TOKENIZER, 'tokenizer.json') });
    expect(made.files).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
    expect(made.shape.vocabSize).toBe(30522);
    expect(Buffer.compare(await readFile(join(dir, 'tokenizer.json')), await readFile(join(MINILM_TOKENIZER, 'tokenizer.json')))).toBe(0);

    const small = join(root, 'small-vocab');
    await mkdir(small, { recursive: true });
    const tokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', '##s'];
    await writeFile(join(small, 'vocab.txt'), `${tokens.join('\n')}\n`);
    const out = join(root, 'small-model');
    const m2 = await makeRandomModel({ out, preset: 'tiny', vocab: join(small, 'vocab.txt') });
    expect(m2.files).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
    expect((await readConfig(join(out, 'config.json'))).vocabSize).toBe(tokens.length);
    const m = await loadModel(out);
    expect(m.params.wordEmbeddings.shape).toEqual([tokens.length, PRESETS.tiny.hiddenSize]);
    disposeModel(m);

    expect(vocabTxtSize('a\nb\nc')).toBe(3);
    expect(vocabTxtSize('a\nb\nc\n')).toBe(3);
    expect(tokenizerJsonVocabSize(JSON.stringify({ model: { vocab: { a: 0, b: 1 } }, added_tokens: [{ id: 5, content: 'x' }] }))).toBe(6);
    await expect(makeRandomModel({ out, vocab: join(root, 'nope.txt') })).rejects.toThrow(/no such file/);
  });
});
