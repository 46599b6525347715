/**
 * export-pruned on the fixture: the exported model has the smaller shapes and per-layer sizes in
 * its config, loads with loadModel, and scores as the masked model does (1e-5); folding the means
 * scores as mean ablation does; head masks are refused.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { UsageError } from '../../src/errors.js';
import { bertForward } from '../../src/model/bert.js';
import type { BertModel } from '../../src/model/bert.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { parseMasks } from '../../src/model/masks.js';
import type { Masks } from '../../src/model/masks.js';
import { intervention } from '../../src/pruning/ablate.js';
import { exportPruned } from '../../src/pruning/export.js';
import { ffnMeans } from '../../src/pruning/means.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, fixtureInputs, maxAbsDiff, reference, ref } from '../helpers/fixture.js';
import { fixtureEncodings, fixtureMaskJson, MINILM } from './helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-export-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function logits(model: BertModel, opts: { masks?: Masks; hook?: ReturnType<typeof intervention>['hook'] } = {}): Promise<Float32Array> {
  const inputs = fixtureInputs(await reference());
  const out = tf.tidy(() => bertForward(model, inputs, { ...(opts.masks && { masks: opts.masks }), ...(opts.hook && { hook: opts.hook }) }));
  const data = (await out.data()) as Float32Array;
  tf.dispose([out, ...Object.values(inputs)]);
  return data;
}

describeEachBackend('export-pruned', (backend) => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(FIXTURE_DIR);
  });
  afterAll(() => disposeModel(model));

  test('the fixture prune mask: smaller shapes, per-layer config, the masked scores', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const masks = parseMasks(fixtureMaskJson(refs).neurons, model.config);
    const out = path.join(tmp, `neurons-${backend}`);
    const r = await exportPruned(model, masks, { out, tokenizerDir: MINILM });
    expect(r.intermediateSizes).toEqual([61, 64, 62]);
    expect(r.removed).toEqual([3, 0, 2]);
    expect(r.parameters.before - r.parameters.after).toBe(5 * (2 * 32 + 1));
    expect(r.copied.sort()).toEqual(['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.intermediate_size).toBe(64);
    expect(config.celens_intermediate_sizes).toEqual([61, 64, 62]);
    expect(config.hidden_size).toBe(32);
    const small = await loadModel(out);
    try {
      expect(small.config.intermediateSizes).toEqual([61, 64, 62]);
      expect(small.params.layers[0]?.ffnIn.weight.shape).toEqual([61, 32]);
      expect(small.params.layers[2]?.ffnOut.weight.shape).toEqual([32, 62]);
      const got = await logits(small);
      expect(maxAbsDiff(got, await logits(model, { masks }))).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(got, ref(refs, 'prune.logits.neurons').data as Float32Array)).toBeLessThanOrEqual(1e-5);
    } finally {
      disposeModel(small);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('equal widths keep a plain config; folded means score as mean ablation', async () => {
    const refs = await reference();
    const masks = parseMasks({ 'layer.0.ffn': [0, 1], 'layer.1.ffn': [2, 3], 'layer.2.ffn': [4, 63] }, model.config);
    const means = await ffnMeans(model, fixtureEncodings(refs));
    const out = path.join(tmp, `means-${backend}`);
    const r = await exportPruned(model, masks, { out, means: means.mean });
    expect(r.copied).toEqual([]); // the fixture has no tokenizer files
    expect(await readdir(out)).toEqual(['config.json', 'model.safetensors']);
    const config = JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.intermediate_size).toBe(62);
    expect(config.celens_intermediate_sizes).toBeUndefined();
    const small = await loadModel(out);
    const iv = intervention(masks, 'mean', means.mean);
    try {
      const ablated = await logits(model, { ...(iv.hook && { hook: iv.hook }) });
      expect(maxAbsDiff(await logits(small), ablated)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(ablated, await logits(model, { masks }))).toBeGreaterThan(1e-4);
    } finally {
      iv.dispose();
      disposeModel(small);
    }
  });

  test('a layer pruned to nothing keeps one zero neuron and still scores as the masked model', async () => {
    const masks = parseMasks({ 'layer.1.ffn': Array.from({ length: 64 }, (_v, i) => i) }, model.config);
    const out = path.join(tmp, `empty-${backend}`);
    const r = await exportPruned(model, masks, { out });
    expect(r.intermediateSizes).toEqual([64, 1, 64]);
    expect(r.removed).toEqual([0, 64, 0]);
    const small = await loadModel(out);
    try {
      expect(maxAbsDiff(await logits(small), await logits(model, { masks }))).toBeLessThanOrEqual(1e-5);
    } finally {
      disposeModel(small);
    }
  });

  test('head masks are refused', async () => {
    const masks = parseMasks({ 'layer.0.attn.heads': [1] }, model.config);
    await expect(exportPruned(model, masks, { out: path.join(tmp, 'heads') })).rejects.toThrow(UsageError);
    await expect(exportPruned(model, masks, { out: path.join(tmp, 'heads') })).rejects.toThrow('export-pruned removes FFN neurons; head masks are not exported yet');
  });
});
