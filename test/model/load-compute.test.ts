/**
 * loadModelForCompute (what a pool's worker loads): on wasm, float32 weights go from the file
 * straight onto the heap, and the result is loadModel's weights bit for bit, with loadModel's
 * errors for weights that do not match config.json and nothing left allocated after a failure;
 * other backends and dtypes take loadModel's path.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { selectBackend } from '../../src/backend/select.js';
import { disposeModel, loadModel, loadModelForCompute } from '../../src/model/load.js';
import { weightTensors } from '../../src/model/params.js';
import type { BertModel } from '../../src/model/bert.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { writeSafetensors } from '../../src/weights/safetensors-write.js';
import { WeightsError } from '../../src/errors.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function folder(config: Record<string, unknown>, weights?: (file: string) => Promise<void>): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'celens-load-'));
  dirs.push(d);
  await writeFile(join(d, 'config.json'), JSON.stringify(config));
  if (weights) await weights(join(d, 'model.safetensors'));
  else await copyFile(join(FIXTURE_DIR, 'model.safetensors'), join(d, 'model.safetensors'));
  return d;
}

function expectSameWeights(a: BertModel, b: BertModel): void {
  const x = weightTensors(a.weights);
  const y = weightTensors(b.weights);
  expect(x.length).toBe(y.length);
  x.forEach((t, i) => {
    const u = y[i] as tf.Tensor;
    expect(t.shape).toEqual(u.shape);
    expect(Buffer.from((t.dataSync() as Float32Array).buffer).equals(Buffer.from((u.dataSync() as Float32Array).buffer))).toBe(true);
  });
}

describe.each(['wasm', 'cpu'] as const)('loadModelForCompute [%s]', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  test("gives loadModel's weights bit for bit, without params", async () => {
    const before = tf.memory().numTensors;
    const ref = await loadModel(FIXTURE_DIR);
    const got = await loadModelForCompute(FIXTURE_DIR);
    expect('params' in got).toBe(false);
    expect(got.config).toEqual(ref.config);
    expectSameWeights(got, ref);
    disposeModel(got);
    disposeModel(ref);
    expect(tf.memory().numTensors).toBe(before);
  });

  test("a config that does not match the weights gets loadModel's error, and nothing stays allocated", async () => {
    const raw = JSON.parse(await readFile(join(FIXTURE_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
    const d = await folder({ ...raw, num_hidden_layers: Number(raw.num_hidden_layers) + 1 });
    const before = tf.memory().numTensors;
    const want = await loadModel(d).then(() => 'loaded', (e: Error) => e.message);
    expect(want).toMatch(/missing tensor/);
    await expect(loadModelForCompute(d)).rejects.toThrow(WeightsError);
    await expect(loadModelForCompute(d)).rejects.toThrow(want);
    expect(tf.memory().numTensors).toBe(before);
  });

  test('a float16 file goes through loadModel, with the same result', async () => {
    const raw = JSON.parse(await readFile(join(FIXTURE_DIR, 'config.json'), 'utf8')) as Record<string, unknown>;
    const { tensors } = await readSafetensors(join(FIXTURE_DIR, 'model.safetensors'));
    const d = await folder(raw, (file) => writeSafetensors(file, new Map([...tensors].map(([name, t]) => [name, { dtype: 'F16' as const, shape: t.shape, data: t.data as Float32Array }]))));
    const ref = await loadModel(d);
    const got = await loadModelForCompute(d);
    expectSameWeights(got, ref);
    disposeModel(got);
    disposeModel(ref);
  });
});
