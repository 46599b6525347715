/**
 * Sharded checkpoints: the fixture split into shards (with our writer) reads back exactly as the
 * single file; every inconsistency between the index and the shards is a SafetensorsError.
 */
import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readStateDict, parseShardIndex, INDEX_FILE, WEIGHTS_FILE } from '../../src/weights/sharded.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import type { Tensor } from '../../src/weights/safetensors.js';
import { writeSafetensors } from '../../src/weights/safetensors-write.js';
import { FIXTURE, at, cleanupTempDirs, escapeRe, expectReject, expectSameBytes, fixture, tempDir } from './util.js';

let single: Map<string, Tensor>;
beforeAll(async () => {
  single = (await readSafetensors(fixture(WEIGHTS_FILE))).tensors;
});
afterAll(cleanupTempDirs);

const shardName = (i: number, n: number): string => `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;

/** Splits the fixture into `groups(name)` shards in a new folder; returns the folder and the weight map. */
async function split(n: number, groupOf: (name: string) => number): Promise<{ dir: string; weightMap: Record<string, string> }> {
  const dir = await tempDir();
  const parts = Array.from({ length: n }, () => new Map<string, Tensor>());
  const weightMap: Record<string, string> = {};
  for (const [name, t] of single) {
    const g = groupOf(name);
    parts[g]?.set(name, t);
    weightMap[name] = shardName(g, n);
  }
  for (let i = 0; i < n; i++) await writeSafetensors(join(dir, shardName(i, n)), parts[i] ?? new Map(), { format: 'pt' });
  await writeIndex(dir, weightMap);
  return { dir, weightMap };
}

const writeIndex = (dir: string, weightMap: unknown, extra: Record<string, unknown> = {}): Promise<void> =>
  writeFile(join(dir, INDEX_FILE), JSON.stringify({ metadata: { total_size: 4030596 }, weight_map: weightMap, ...extra }));

/** Embeddings | encoder layers 0–1 | everything else. */
const byPart = (name: string): number => (name.includes('embeddings') ? 0 : /layer\.[01]\./.test(name) ? 1 : 2);

function expectSameState(a: Map<string, Tensor>, b: Map<string, Tensor>): void {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, t] of a) {
    const u = b.get(k);
    expect({ k, dtype: u?.dtype, shape: u?.shape }).toEqual({ k, dtype: t.dtype, shape: t.shape });
    expectSameBytes(u?.data ?? new Uint8Array(0), t.data);
  }
}

describe('sharded checkpoints', () => {
  test.each([2, 3])('%i shards read back exactly as the single file', async (n) => {
    const { dir } = await split(n, n === 3 ? byPart : (name) => (name.includes('layer.') ? 1 : 0));
    const { state, source } = await readStateDict(dir);
    expect(source).toBe(join(dir, INDEX_FILE));
    expect(state.size).toBe(57);
    expectSameState(single, state);
    const fromFixture = await readStateDict(FIXTURE);
    expect(fromFixture.source).toBe(fixture(WEIGHTS_FILE));
    expectSameState(fromFixture.state, state);
  });

  test('model.safetensors wins over an index; weightsFile picks another file', async () => {
    const { dir } = await split(2, (name) => (name.startsWith('classifier') ? 1 : 0));
    await copyFile(fixture('model.with-position-ids.safetensors'), join(dir, WEIGHTS_FILE));
    expect((await readStateDict(dir)).state.size).toBe(58);
    const other = await readStateDict(FIXTURE, 'model.f16.safetensors');
    expect(other.state.get('classifier.weight')?.dtype).toBe('F16');
    // An absent weightsFile falls back to the index.
    expect((await readStateDict(dir, 'absent.safetensors')).state.size).toBe(57);
  });

  describe('errors', () => {
    let dir: string;
    let weightMap: Record<string, string>;
    let index: string;
    beforeEach(async () => {
      ({ dir, weightMap } = await split(3, byPart));
      index = join(dir, INDEX_FILE);
    });

    test('index is not valid JSON / not an object / has no weight_map', async () => {
      await writeFile(index, '{"weight_map": ');
      await expectReject(() => readStateDict(dir), new RegExp(`^${escapeRe(index)}:1: not valid JSON \\(column 16: `));
      await writeFile(index, '[]');
      await expectReject(() => readStateDict(dir), at(index, undefined, 'index is not a JSON object$'));
      await writeFile(index, 'null');
      await expectReject(() => readStateDict(dir), at(index, undefined, 'index is not a JSON object$'));
      await writeFile(index, JSON.stringify({ metadata: {} }));
      await expectReject(() => readStateDict(dir), at(index, undefined, 'index has no "weight_map" object$'));
      await writeIndex(dir, [['a', 'b']]);
      await expectReject(() => readStateDict(dir), at(index, undefined, 'index has no "weight_map" object$'));
      await writeIndex(dir, {});
      await expectReject(() => readStateDict(dir), at(index, undefined, 'index "weight_map" is empty$'));
    });

    test('shard paths must be plain file names in the folder', async () => {
      const t = 'classifier.bias';
      for (const bad of ['sub/x.safetensors', '../x.safetensors', '..', '.', '/etc/passwd', 'a\\b.safetensors', '', 3, null]) {
        await writeIndex(dir, { ...weightMap, [t]: bad });
        await expectReject(() => readStateDict(dir), at(index, t, `weight_map entry is not a file name in the same folder: ${escapeRe(JSON.stringify(bad))}$`));
      }
      expect(() => parseShardIndex(JSON.stringify({ weight_map: { x: '..' } }), 'i.json')).toThrow(/^i\.json: tensor 'x': weight_map entry/);
    });

    test('a missing shard file', async () => {
      await writeIndex(dir, { ...weightMap, 'classifier.bias': 'model-00004-of-00003.safetensors' });
      await expectReject(() => readStateDict(dir), at(index, undefined, 'shard named by the index is missing: model-00004-of-00003\\.safetensors$'));
    });

    test('a tensor listed for a shard that does not hold it', async () => {
      await writeIndex(dir, { ...weightMap, 'classifier.bias': shardName(0, 3) });
      await expectReject(() => readStateDict(dir), at(index, 'classifier.bias', `the index puts this tensor in ${escapeRe(shardName(0, 3))}, which does not hold it$`));
      await writeIndex(dir, { ...weightMap, 'not.a.tensor': shardName(1, 3) });
      await expectReject(() => readStateDict(dir), at(index, 'not.a.tensor', 'the index puts this tensor in'));
    });

    test('a shard holding a tensor the index does not list for it', async () => {
      const rest = { ...weightMap };
      delete rest['classifier.bias'];
      await writeIndex(dir, rest);
      const shard = join(dir, shardName(2, 3));
      await expectReject(() => readStateDict(dir), at(shard, 'classifier.bias', `tensor not listed for this shard in ${escapeRe(INDEX_FILE)}$`));
    });

    test('a corrupt shard names the shard file', async () => {
      const shard = join(dir, shardName(1, 3));
      await writeFile(shard, new Uint8Array(5));
      await expectReject(() => readStateDict(dir), at(shard, undefined, 'file is 5 bytes'));
    });

    test('an unreadable index', async () => {
      const d = await tempDir();
      await mkdir(join(d, INDEX_FILE));
      await expectReject(() => readStateDict(d), at(join(d, INDEX_FILE), undefined, 'cannot read index \\(EISDIR\\)$'));
    });
  });

  test('a folder with neither file', async () => {
    const d = await tempDir();
    await expectReject(() => readStateDict(d), at(d, undefined, `no ${escapeRe(WEIGHTS_FILE)} or ${escapeRe(INDEX_FILE)} in the model folder$`));
    const missing = join(d, 'no-such-folder');
    await expectReject(() => readStateDict(missing), at(missing, undefined, 'no model\\.safetensors'));
  });
});
