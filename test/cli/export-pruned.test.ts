/** `celens export-pruned` end to end on the fixture: a smaller model that scores as the masked one. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { bertForward } from '../../src/model/bert.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR, fixtureInputs, maxAbsDiff, reference, ref } from '../helpers/fixture.js';
import { fixtureMaskJson, MINILM } from '../pruning/helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-export-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('export, bench, and the exported model scores the fixture prune reference', async () => {
  const refs = await reference();
  const mask = path.join(tmp, 'mask.json');
  await writeFile(mask, JSON.stringify(fixtureMaskJson(refs).neurons));
  const out = path.join(tmp, 'small');
  const r = await runCli(['export-pruned', FIXTURE_DIR, '--mask', mask, '--out', out, '--tokenizer', MINILM, '--bench', '--bench-batch', '4', '--bench-runs', '2', '--backend', 'wasm']);
  expect(r.stderr).not.toContain('error');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`wrote ${out}: FFN widths 61, 64, 62 (removed 3, 0, 2)`);
  expect(r.stdout).toContain('tokenizer files: tokenizer.json, tokenizer_config.json, vocab.txt, special_tokens_map.json');
  expect(r.stdout).toMatch(/bench \(batch 4 × 128 tokens, median of 2\): masked [\d.]+ ms, exported [\d.]+ ms, speed-up ×[\d.]+/);
  expect(JSON.parse(await readFile(path.join(out, 'config.json'), 'utf8'))).toMatchObject({ intermediate_size: 64, celens_intermediate_sizes: [61, 64, 62] });
  const small = await loadModel(out);
  const inputs = fixtureInputs(refs);
  const logits = tf.tidy(() => bertForward(small, inputs));
  expect(maxAbsDiff(await logits.data(), ref(refs, 'prune.logits.neurons').data as Float32Array)).toBeLessThanOrEqual(1e-5);
  tf.dispose([logits, ...Object.values(inputs)]);
  disposeModel(small);
});

test('head masks: a clear error', async () => {
  const mask = path.join(tmp, 'heads.json');
  await writeFile(mask, JSON.stringify({ 'layer.0.attn.heads': [1] }));
  const r = await runCli(['export-pruned', FIXTURE_DIR, '--mask', mask, '--out', path.join(tmp, 'h'), '--backend', 'wasm']);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('celens: export-pruned removes FFN neurons; head masks are not exported yet\n');
});
