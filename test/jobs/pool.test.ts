/**
 * The worker pool against the in-process stream on the fixture (wasm): the same records in the
 * same order, bit for bit, for 1 and 2 workers; worker errors arrive with their class and
 * message; a crash names its group; every thread is gone after an error, a crash or an early stop.
 * The workers run dist/ (npm test builds it first, see package.json "pretest").
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attributeStream, unpad } from '../../src/attribution/attribute.js';
import type { AttributeOptions, AttributionRecord } from '../../src/attribution/attribute.js';
import { runAttributeJob } from '../../src/jobs/job.js';
import { attributeStreamParallel, liveWorkers, poolStream, startPool, workerFile } from '../../src/jobs/pool.js';
import { WorkerPool } from '../../src/jobs/pool-workers.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import { selectBackend } from '../../src/backend/select.js';
import { CelensError, ShapeError } from '../../src/errors.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { PairEncoding } from '../../src/tokenize/tokenizer.js';
import { FIXTURE_DIR, fixtureBatch, reference } from '../helpers/fixture.js';

/** Every number of a result as raw bytes (plus its index), so equality means bit equality. */
function bytes(r: AttributionRecord): string {
  const hex = (a: Float32Array | Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
  const maps = (m: Map<string, Float32Array> | undefined): string => [...(m ?? new Map<string, Float32Array>())].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${hex(v)}`).join(',');
  const p: PairAttribution = r.result;
  return [r.index, JSON.stringify(p.segments), maps(p.sum), maps(p.bySegment), maps(p.perToken), hex(Float64Array.of(p.targetInput, p.targetBaseline)), hex(p.completeness)].join('|');
}

async function collect(g: AsyncGenerator<AttributionRecord>): Promise<string[]> {
  const out: string[] = [];
  for await (const r of g) out.push(bytes(r));
  return out;
}

describe('attributeStreamParallel [wasm]', () => {
  let model: LoadedModel;
  let pairs: PairEncoding[];
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await loadModel(FIXTURE_DIR);
    pairs = unpad(fixtureBatch(await reference()));
  });
  afterAll(() => disposeModel(model));
  afterEach(() => expect(liveWorkers()).toBe(0));

  test('the compiled worker is found', () => {
    expect(workerFile()).toMatch(/dist[\\/]jobs[\\/]worker\.js$/);
  });

  test.each([
    ['nig', 1],
    ['nig', 3],
    ['layer-ig', 3],
  ] as const)('%s, pairsPerBatch %d: 1 and 2 workers equal the in-process stream bit for bit', async (method, pairsPerBatch) => {
    const o: AttributeOptions = { method, steps: 20, chunk: 10, pairsPerBatch, perToken: true };
    const here = await collect(attributeStream(model, pairs, o));
    expect(here).toHaveLength(pairs.length);
    for (const workers of [1, 2]) {
      const progress: number[] = [];
      const there = await collect(attributeStreamParallel(FIXTURE_DIR, pairs, o, { workers, backend: 'wasm', onProgress: (d) => progress.push(d) }));
      expect(there).toEqual(here);
      expect(progress.at(-1)).toBe(pairs.length);
    }
  });

  test('a pool started before the job (startPool) gives the same records, serves two streams, and is closed by its owner', async () => {
    const o: AttributeOptions = { method: 'nig', steps: 20, chunk: 10, pairsPerBatch: 1 };
    const here = await collect(attributeStream(model, pairs, o));
    const pool = startPool(FIXTURE_DIR, { workers: 2, backend: 'wasm' });
    try {
      expect(liveWorkers()).toBe(2);
      expect(await collect(attributeStreamParallel(FIXTURE_DIR, pairs, o, { pool }))).toEqual(here);
      expect(liveWorkers()).toBe(2); // the stream did not close what it did not start
      // Options travel with each task: a second stream with other options on the same threads.
      const o2: AttributeOptions = { ...o, method: 'layer-ig' };
      expect(await collect(attributeStreamParallel(FIXTURE_DIR, pairs, o2, { pool }))).toEqual(await collect(attributeStream(model, pairs, o2)));
    } finally {
      await pool.close();
    }
  });

  test('resume: skipped indices are skipped exactly as in-process', async () => {
    const o: AttributeOptions = { steps: 20, pairsPerBatch: 3 };
    const skip = new Set([0, 2]);
    const here = await collect(attributeStream(model, pairs, o, { skip }));
    expect(await collect(attributeStreamParallel(FIXTURE_DIR, pairs, o, { workers: 2, backend: 'wasm', skip }))).toEqual(here);
  });

  test('a worker error rejects with its class and message and stops every worker', async () => {
    const first = pairs[0] as PairEncoding;
    const bad: PairEncoding = { inputIds: first.inputIds, tokenTypeIds: first.tokenTypeIds.map(() => 0) }; // no passage segment
    const o: AttributeOptions = { steps: 20, pairsPerBatch: 1 };
    const expected = await collect(attributeStream(model, [bad], o)).then(
      () => 'no error',
      (e: Error) => e.message,
    );
    expect(expected).toMatch(/no \[CLS\] query \[SEP\] passage \[SEP\] layout/);
    const run = collect(attributeStreamParallel(FIXTURE_DIR, [...pairs, bad], o, { workers: 2, backend: 'wasm' }));
    await expect(run).rejects.toBeInstanceOf(ShapeError);
    await expect(run).rejects.toThrow(expected);
  });

  test('a bad model folder is the loader\'s error, not a hang', async () => {
    await expect(collect(attributeStreamParallel(join(tmpdir(), 'celens-no-such-model'), pairs, {}, { workers: 2, backend: 'wasm' }))).rejects.toBeInstanceOf(CelensError);
  });

  test('stopping early (break) terminates the workers', async () => {
    let seen = 0;
    for await (const r of attributeStreamParallel(FIXTURE_DIR, pairs, { steps: 20, pairsPerBatch: 1 }, { workers: 2, backend: 'wasm' })) {
      expect(r.index).toBeGreaterThanOrEqual(0);
      expect(liveWorkers()).toBe(2);
      seen++;
      break;
    }
    expect(seen).toBe(1);
    expect(liveWorkers()).toBe(0);
  });

  test('a crashed worker is an error naming its group', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'celens-pool-'));
    const file = join(dir, 'crash.mjs');
    await writeFile(file, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
    const pool = new WorkerPool(file, { modelDir: FIXTURE_DIR, backend: 'wasm' }, 1, [{ group: 7, indices: [4, 5], pairs: [], attribute: {} }]);
    await expect(pool.result(0)).rejects.toThrow('attribution worker exited with code 3 while computing group 7 (pairs 4, 5)');
    await pool.close();
  });

  test('runAttributeJob with poolStream writes the same JSONL as in-process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'celens-pool-'));
    const options: AttributeOptions = { steps: 20, pairsPerBatch: 1 };
    const a = join(dir, 'a.jsonl');
    const b = join(dir, 'b.jsonl');
    await runAttributeJob({ model, pairs, options, out: a });
    await runAttributeJob({ model, pairs, options, out: b, stream: poolStream(FIXTURE_DIR, { workers: 2, backend: 'wasm' }) });
    expect(await readFile(b, 'utf8')).toBe(await readFile(a, 'utf8'));
  });
});
