/**
 * One relevance-score rule per model (relevance.ts), checked against sentence-transformers'
 * CrossEncoder convention: config.json's activation (v4 `sentence_transformers.activation_fn`
 * first, then `sbert_ce_default_activation_function`), else Sigmoid for 1 label; a 2-label head is
 * read at label 1 after a softmax. The scores themselves are checked from first principles: the
 * rule's value is computed here from the raw logits.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { parseConfig } from '../../src/weights/config.js';
import { describeRule, relevanceRule } from '../../src/model/relevance.js';
import { relevanceScores, scoreEncoded } from '../../src/model/score.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { makeRandomModel } from '../../scripts/make-random-model.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';

const cfg = (extra: Record<string, unknown>, labels = 1) => parseConfig({ model_type: 'bert', hidden_size: 8, num_attention_heads: 2, num_labels: labels, ...extra });

test('1 label: the activation config.json names, else sigmoid', () => {
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: 'torch.nn.modules.linear.Identity' }))).toMatchObject({ label: 0, activation: 'none' });
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: 'torch.nn.modules.activation.Sigmoid' }))).toMatchObject({ label: 0, activation: 'sigmoid' });
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: 'torch.nn.modules.activation.Tanh' }))).toMatchObject({ activation: 'tanh' });
  expect(relevanceRule(cfg({}))).toMatchObject({ label: 0, activation: 'sigmoid', from: 'sentence-transformers default for a 1-label head' });
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: null }))).toMatchObject({ activation: 'sigmoid' });
  // sentence-transformers v4 stores it under "sentence_transformers" and reads that first.
  const both = cfg({ sentence_transformers: { activation_fn: 'torch.nn.modules.linear.Identity', version: '4.0.1' }, sbert_ce_default_activation_function: 'torch.nn.modules.activation.Sigmoid' });
  expect(relevanceRule(both)).toMatchObject({ activation: 'none', from: 'config.json sentence_transformers.activation_fn' });
});

test('2 labels: P(label 1) by default; a flag overrides config and default', () => {
  expect(relevanceRule(cfg({}, 2))).toMatchObject({ label: 1, activation: 'softmax' });
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: 'torch.nn.modules.linear.Identity' }, 2))).toMatchObject({ label: 1, activation: 'none' });
  expect(relevanceRule(cfg({}, 2), 'none')).toMatchObject({ label: 1, activation: 'none', from: 'chosen' });
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: 'torch.nn.modules.linear.Identity' }), 'sigmoid')).toMatchObject({ activation: 'sigmoid' });
  expect(describeRule(relevanceRule(cfg({}, 2)), 2)).toBe('softmax over the labels, label 1 of 2 (default for a 2-label head: P(label 1))');
});

test('refusals: an unknown activation class, softmax over one output', () => {
  expect(() => relevanceRule(cfg({ sbert_ce_default_activation_function: 'my.module.Swish' }))).toThrow(ConfigError);
  expect(() => relevanceRule(cfg({ sbert_ce_default_activation_function: 'my.module.Swish' }))).toThrow(/sbert_ce_default_activation_function" names an activation celens does not know; pass --activation/);
  // ... but a flag makes the config's choice irrelevant.
  expect(relevanceRule(cfg({ sbert_ce_default_activation_function: 'my.module.Swish' }), 'none').activation).toBe('none');
  expect(() => relevanceRule(cfg({}), 'softmax')).toThrow(UsageError);
  expect(() => relevanceRule(cfg({ sbert_ce_default_activation_function: 'torch.nn.modules.activation.Softmax' }))).toThrow(/Softmax for a 1-label head/);
});

describe('relevanceScores on real heads', () => {
  let tmp: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-relevance-'));
  });
  afterAll(async () => rm(tmp, { recursive: true, force: true }));

  const pairs: PairEncoding[] = [
    { inputIds: [101, 2054, 102, 3899, 2003, 102], tokenTypeIds: [0, 0, 0, 1, 1, 1] },
    { inputIds: [101, 7592, 102, 4248, 102], tokenTypeIds: [0, 0, 0, 1, 1] },
  ];

  test.each([1, 2])('%i label(s): the rule applied to the raw logits', async (labels) => {
    const { dir } = await makeRandomModel({ out: path.join(tmp, `m${labels}`), preset: 'tiny', labels, seed: 7, initializerRange: 0.5 });
    const model = await loadModel(dir);
    try {
      const raw = await scoreEncoded(model, pairs, { activation: 'none' });
      const got = await relevanceScores(model, pairs);
      const want = raw.map((r) => (labels === 1 ? 1 / (1 + Math.exp(-(r[0] as number))) : 1 / (1 + Math.exp((r[0] as number) - (r[1] as number)))));
      got.forEach((g, i) => expect(Math.abs(g - (want[i] as number))).toBeLessThan(1e-6));
      // The scores are not all the same (the check above would pass on a saturated head).
      expect(Math.abs((got[0] as number) - (got[1] as number))).toBeGreaterThan(1e-4);
    } finally {
      disposeModel(model);
    }
  });
});
