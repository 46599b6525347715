/** HF state-dict names → BertParams: naming variants, and every mismatch with config.json as a WeightsError. */
import { paramsFromStateDict, countParams } from '../../src/weights/hf-names.js';
import type { BertParams, Param } from '../../src/weights/hf-names.js';
import { parseConfig, readConfig } from '../../src/weights/config.js';
import type { BertConfig } from '../../src/weights/config.js';
import { readStateDict } from '../../src/weights/sharded.js';
import type { Tensor } from '../../src/weights/safetensors.js';
import { WeightsError } from '../../src/errors.js';
import { FIXTURE, fixture } from './util.js';

let config: BertConfig;
let state: Map<string, Tensor>;
beforeAll(async () => {
  config = await readConfig(fixture('config.json'));
  state = (await readStateDict(FIXTURE)).state;
});

const S = 'model.safetensors';
const load = (s: Map<string, Tensor>, c: BertConfig = config): ReturnType<typeof paramsFromStateDict> => paramsFromStateDict(s, c, S);
const rename = (f: (k: string) => string): Map<string, Tensor> => new Map([...state].map(([k, t]) => [f(k), t]));
const fails = (s: Map<string, Tensor>, re: RegExp, c: BertConfig = config): void => {
  expect(() => load(s, c)).toThrow(WeightsError);
  expect(() => load(s, c)).toThrow(re);
};
const f32 = (shape: number[]): Tensor => ({ dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });

/** Every Param of a BertParams, in a fixed order, for identity comparisons. */
function flat(p: BertParams): Param[] {
  const out: Param[] = [p.wordEmbeddings, p.positionEmbeddings, p.tokenTypeEmbeddings, p.embeddingsNorm.weight, p.embeddingsNorm.bias];
  for (const l of p.layers) {
    for (const x of [l.query, l.key, l.value, l.attnOut, l.attnNorm, l.ffnIn, l.ffnOut, l.outNorm]) out.push(x.weight, x.bias);
  }
  out.push(p.pooler.weight, p.pooler.bias, p.classifier.weight, p.classifier.bias);
  return out;
}

describe('the fixture', () => {
  test('maps every tensor, shapes as the config says, nothing unused', () => {
    const { params, unused } = load(state);
    expect(unused).toEqual([]);
    expect(params.layers).toHaveLength(3);
    expect(params.wordEmbeddings.shape).toEqual([30522, 32]);
    expect(params.positionEmbeddings.shape).toEqual([128, 32]);
    expect(params.layers[2]?.ffnIn.weight.shape).toEqual([64, 32]);
    expect(params.layers[2]?.ffnOut.weight.shape).toEqual([32, 64]);
    expect(params.classifier.weight.shape).toEqual([1, 32]);
    // The right tensors in the right places (not just the right shapes: query/key/value are all [32, 32]).
    expect(params.layers[1]?.key.weight.data).toBe(state.get('bert.encoder.layer.1.attention.self.key.weight')?.data);
    expect(params.layers[0]?.attnNorm.bias.data).toBe(state.get('bert.encoder.layer.0.attention.output.LayerNorm.bias')?.data);
    expect(params.layers[0]?.outNorm.weight.data).toBe(state.get('bert.encoder.layer.0.output.LayerNorm.weight')?.data);
    expect(params.classifier.bias.data).toBe(state.get('classifier.bias')?.data);
    const total = [...state.values()].reduce((s, t) => s + t.data.length, 0);
    expect(countParams(params).total).toBe(total);
    expect(flat(params)).toHaveLength(57);
  });

  test('position_ids (I64) is accepted and ignored; f16 weights load widened', async () => {
    const withIds = (await readStateDict(FIXTURE, 'model.with-position-ids.safetensors')).state;
    expect(withIds.has('bert.embeddings.position_ids')).toBe(true);
    expect(load(withIds).unused).toEqual([]);
    const half = (await readStateDict(FIXTURE, 'model.f16.safetensors')).state;
    expect(load(half).params.pooler.weight.data).toBeInstanceOf(Float32Array);
  });
});

describe('naming variants map to identical params', () => {
  const same = (s: Map<string, Tensor>): void => {
    const a = flat(load(state).params);
    const b = flat(load(s).params);
    expect(b.map((p) => p.data)).toEqual(a.map((p) => p.data));
    b.forEach((p, i) => expect(p.data).toBe(a[i]?.data));
  };
  test('without the bert. prefix', () => same(rename((k) => k.replace(/^bert\./, ''))));
  test('legacy LayerNorm.gamma / beta', () => same(rename((k) => k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'))));
  test('both at once', () => same(rename((k) => k.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma'))));
});

describe('WeightsError', () => {
  test('a missing tensor names the tensor, the expected shape and what was found', () => {
    const s = new Map(state);
    s.delete('bert.encoder.layer.1.attention.self.key.bias');
    fails(s, /^model\.safetensors: tensor 'bert\.encoder\.layer\.1\.attention\.self\.key\.bias': missing tensor \(expected \[32\], found nothing\)$/);
    const u = rename((k) => k.replace(/^bert\./, ''));
    u.delete('classifier.weight');
    fails(u, /^model\.safetensors: tensor 'classifier\.weight': missing tensor \(expected \[1,32\], found nothing\)$/);
  });

  test('a wrong shape names the tensor and both shapes', () => {
    const c16 = parseConfig({ ...config.raw, hidden_size: 16 });
    fails(state, /^model\.safetensors: tensor 'bert\.embeddings\.word_embeddings\.weight': shape does not match config\.json \(expected \[30522,16\], found \[30522,32\]\)$/, c16);
    const cFfn = parseConfig({ ...config.raw, celens_intermediate_sizes: [64, 48, 64] });
    fails(state, /^model\.safetensors: tensor 'bert\.encoder\.layer\.1\.intermediate\.dense\.weight': shape .*\(expected \[48,32\], found \[64,32\]\)$/, cFfn);
    const s = new Map(state);
    s.set('bert.pooler.dense.bias', f32([1, 32]));
    fails(s, /tensor 'bert\.pooler\.dense\.bias': shape does not match config\.json \(expected \[32\], found \[1,32\]\)$/);
  });

  test('an extra layer, or fewer layers in the config, is an error', () => {
    const s = new Map(state);
    s.set('bert.encoder.layer.3.output.dense.bias', f32([32]));
    fails(s, /^model\.safetensors: tensor 'bert\.encoder\.layer\.3\.output\.dense\.bias': unexpected tensor/);
    const c2 = parseConfig({ ...config.raw, num_hidden_layers: 2 });
    fails(state, /^model\.safetensors: tensor 'bert\.encoder\.layer\.2\.[\w.]+': unexpected tensor/, c2);
    const c4 = parseConfig({ ...config.raw, num_hidden_layers: 4 });
    fails(state, /tensor 'bert\.encoder\.layer\.3\.attention\.self\.query\.weight': missing tensor/, c4);
  });

  test('other stray tensors are errors too (both spellings of one tensor, mixed prefixes)', () => {
    const s = new Map(state);
    s.set('bert.embeddings.LayerNorm.gamma', f32([32]));
    fails(s, /tensor 'bert\.embeddings\.LayerNorm\.gamma': unexpected tensor/);
    const m = new Map(state);
    m.set('pooler.dense.bias', f32([32]));
    fails(m, /tensor 'pooler\.dense\.bias': unexpected tensor/);
  });

  test('integer weights are rejected', () => {
    const s = new Map(state);
    s.set('bert.pooler.dense.bias', { dtype: 'I32', shape: [32], data: new Int32Array(32) });
    fails(s, /^model\.safetensors: tensor 'bert\.pooler\.dense\.bias': weights must be a float dtype \(expected F32\|F16\|BF16\|F64, found I32\)$/);
    s.set('bert.pooler.dense.bias', { dtype: 'I64', shape: [32], data: new BigInt64Array(32) });
    fails(s, /found I64\)$/);
  });

  test('data that disagrees with its own shape (a hand-built state dict)', () => {
    const s = new Map(state);
    s.set('classifier.bias', { dtype: 'F32', shape: [1], data: new Float32Array(2) });
    fails(s, /tensor 'classifier\.bias': data length does not match the shape \(expected 1, found 2\)$/);
  });
});

describe('heads', () => {
  test('cls.predictions.* (an MLM head) is reported as unused, not an error', () => {
    const s = new Map(state);
    s.set('cls.predictions.bias', f32([30522]));
    s.set('cls.predictions.transform.dense.weight', f32([32, 32]));
    s.set('cls.seq_relationship.weight', f32([2, 32]));
    expect(load(s).unused).toEqual(['cls.predictions.bias', 'cls.predictions.transform.dense.weight', 'cls.seq_relationship.weight']);
  });

  test('a 2-label classifier head loads; a 1-label config refuses it', () => {
    const s = new Map(state);
    s.set('classifier.weight', f32([2, 32]));
    s.set('classifier.bias', f32([2]));
    const c2 = parseConfig({ ...config.raw, id2label: { 0: 'not_relevant', 1: 'relevant' } });
    const { params } = load(s, c2);
    expect(params.classifier.weight.shape).toEqual([2, 32]);
    expect(params.classifier.bias.shape).toEqual([2]);
    fails(s, /tensor 'classifier\.weight': shape does not match config\.json \(expected \[1,32\], found \[2,32\]\)$/);
  });
});
