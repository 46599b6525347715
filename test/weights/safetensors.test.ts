/**
 * The validating reader: every malformed file is a SafetensorsError naming the file (and tensor),
 * and the fixture's four weight files read with the dtypes and values the README describes.
 */
import { readdirSync, existsSync } from 'node:fs';
import { mkdir, open as fsOpen, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsReader, readSafetensors, parseHeaderLength, MAX_HEADER_BYTES } from '../../src/weights/safetensors.js';
import type { Tensor } from '../../src/weights/safetensors.js';
import { floatToBfloat16, floatToHalf, halfToFloat } from '../../src/weights/dtypes.js';
import { SafetensorsError } from '../../src/errors.js';
import { at, cleanupTempDirs, craft, expectReject, expectSameBytes, fixture, tempDir } from './util.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(cleanupTempDirs);

const entry = (dtype: unknown, shape: unknown, offsets: unknown): Record<string, unknown> => ({ dtype, shape, data_offsets: offsets });
let seq = 0;
/** Crafts a file from a header object and `data` bytes, then expects open() to fail with `rest`. */
async function bad(header: unknown, data: number, tensor: string | undefined, rest: string, length?: bigint): Promise<string> {
  const file = await craft(dir, `bad-${seq++}.safetensors`, { header, data, ...(length === undefined ? {} : { length }) });
  await expectReject(() => SafetensorsReader.open(file), at(file, tensor, rest));
  return file;
}

describe('malformed files', () => {
  test('shorter than 8 bytes (including empty)', async () => {
    for (const n of [0, 1, 7]) {
      const file = join(dir, `short-${n}.safetensors`);
      const fh = await fsOpen(file, 'w');
      await fh.write(new Uint8Array(n));
      await fh.close();
      await expectReject(() => SafetensorsReader.open(file), at(file, undefined, `file is ${n} bytes, too short for the 8-byte header length$`));
    }
  });

  test('header length past the end of the file', async () => {
    await bad('{}', 0, undefined, 'header length 1000 runs past the end of the file \\(10 bytes\\)$', 1000n);
    await bad('{}', 0, undefined, 'header length 3 runs past the end of the file', 3n);
  });

  test('header length over 100 MB is refused before anything is allocated', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const file = await craft(dir, 'huge.safetensors', { header: new Uint8Array(0), length: 2n ** 60n });
    await expectReject(() => SafetensorsReader.open(file), at(file, undefined, `header length ${2n ** 60n} exceeds the 100000000-byte limit$`));
    // 2^64 − 1 too, and just over the limit: the limit is checked before the file size.
    await bad('{}', 0, undefined, 'header length 18446744073709551615 exceeds', 2n ** 64n - 1n);
    await bad('{}', 0, undefined, 'header length 100000001 exceeds', BigInt(MAX_HEADER_BYTES + 1));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    // The pure check is what guards the allocation: it must throw on the prefix alone.
    const prefix = new Uint8Array(8);
    new DataView(prefix.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(() => parseHeaderLength(prefix, 2 ** 61, 'p')).toThrow(/^p: header length \d+ exceeds/);
  });

  test('header shorter than a JSON object', async () => {
    await bad('{}', 0, undefined, 'header length 1 is too short', 1n);
  });

  test('invalid UTF-8, BOM, invalid JSON, not an object', async () => {
    await bad(new Uint8Array([0x7b, 0xff, 0x7d]), 0, undefined, 'header is not valid UTF-8$');
    await bad(new Uint8Array([0x7b, 0xc3, 0x7d]), 0, undefined, 'header is not valid UTF-8$'); // truncated sequence
    await bad(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), 0, undefined, 'header is not valid JSON');
    await bad('{"a": ', 0, undefined, 'header is not valid JSON \\(');
    await bad('{} {}', 0, undefined, 'header is not valid JSON');
    for (const h of ['[]', '12', 'null', '"s"', 'true']) await bad(h, 0, undefined, 'header is not a JSON object$');
  });

  test('entry is not an object; unknown or missing dtype', async () => {
    await bad({ t: [1] }, 0, 't', 'entry is not an object$');
    await bad({ t: entry('F8', [1], [0, 1]) }, 1, 't', 'unknown dtype "F8" \\(expected F64\\|F32\\|F16\\|BF16\\|I64');
    await bad({ t: entry('f32', [1], [0, 4]) }, 4, 't', 'unknown dtype "f32"');
    await bad({ t: entry(undefined, [1], [0, 4]) }, 4, 't', 'unknown dtype undefined');
    await bad({ t: entry('__proto__', [1], [0, 4]) }, 4, 't', 'unknown dtype "__proto__"');
  });

  test('bad shapes', async () => {
    await bad({ t: entry('F32', [-1], [0, 4]) }, 4, 't', 'shape \\[-1\\] has a dimension that is not a non-negative integer$');
    await bad({ t: entry('F32', [1.5], [0, 4]) }, 4, 't', 'shape \\[1.5\\] has a dimension');
    await bad({ t: entry('F32', ['2'], [0, 8]) }, 8, 't', 'shape \\["2"\\] has a dimension');
    await bad({ t: entry('F32', [null], [0, 4]) }, 4, 't', 'shape \\[null\\] has a dimension');
    await bad({ t: entry('F32', 3, [0, 12]) }, 12, 't', 'shape is not an array$');
    await bad({ t: entry('F32', undefined, [0, 4]) }, 4, 't', 'shape is not an array$');
    await bad({ t: entry('F32', { 0: 1 }, [0, 4]) }, 4, 't', 'shape is not an array$');
  });

  test('shapes whose element or byte count overflows', async () => {
    await bad({ t: entry('U8', [2 ** 40, 2 ** 40], [0, 4]) }, 4, 't', 'shape \\[1099511627776,1099511627776\\] has too many elements$');
    await bad({ t: entry('U8', [1e300], [0, 4]) }, 4, 't', 'shape \\[1e\\+300\\] has too many elements$');
    // 2^52 elements fit in a double, 2^55 bytes do not: refused, not compared inexactly.
    await bad({ t: entry('F64', [2 ** 26, 2 ** 26], [0, 8]) }, 8, 't', 'shape \\[67108864,67108864\\] is too large in bytes$');
  });

  test('bad data_offsets', async () => {
    for (const off of [[0], [0, 4, 8], '0,4', { 0: 0, 1: 4 }, undefined]) {
      await bad({ t: entry('F32', [1], off) }, 4, 't', 'data_offsets is not a pair \\[begin, end\\]$');
    }
    await bad({ t: entry('F32', [1], [-4, 0]) }, 4, 't', 'data_offsets \\[-4,0\\] are not integers 0 <= begin <= end$');
    await bad({ t: entry('F32', [0], [4, 0]) }, 4, 't', 'data_offsets \\[4,0\\] are not integers');
    await bad({ t: entry('F32', [1], [0, 4.5]) }, 4, 't', 'data_offsets \\[0,4.5\\] are not integers');
    await bad({ t: entry('F32', [1], ['0', '4']) }, 4, 't', 'data_offsets \\["0","4"\\] are not integers');
    await bad({ t: entry('U8', [1], [2 ** 60, 2 ** 60 + 1]) }, 4, 't', 'data_offsets \\[\\d+,\\d+\\] are not integers');
  });

  test('byte length must equal product(shape) × element size', async () => {
    await bad({ t: entry('F32', [3], [0, 8]) }, 8, 't', 'byte length does not match shape × element size \\(expected 12 bytes \\(\\[3\\] × 4\\), found 8\\)$');
    await bad({ t: entry('F16', [2, 2], [0, 16]) }, 16, 't', 'byte length does not match .*expected 8 bytes');
    await bad({ t: entry('I64', [], [0, 4]) }, 4, 't', 'byte length does not match .*expected 8 bytes \\(\\[\\] × 8\\), found 4');
    await bad({ t: entry('BOOL', [0], [0, 1]) }, 1, 't', 'byte length does not match .*expected 0 bytes');
  });

  test('offsets past the data section (a tensor larger than the file can hold)', async () => {
    await bad({ t: entry('F32', [2], [0, 8]) }, 4, 't', 'data_offsets end 8 is past the data section \\(4 bytes\\)$');
    await bad({ t: entry('U8', [2 ** 40], [0, 2 ** 40]) }, 4, 't', 'data_offsets end 1099511627776 is past the data section');
    await bad({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [4, 8]) }, 6, 'b', 'data_offsets end 8 is past the data section \\(6 bytes\\)');
  });

  test('overlapping tensors, gaps, trailing bytes', async () => {
    await bad({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, 12, 'b', 'data_offsets \\[4, 12\\] overlap the previous tensor \\(which ends at 8\\)$');
    await bad({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [0, 4]) }, 4, 'b', 'data_offsets \\[0, 4\\] overlap');
    await bad({ a: entry('F32', [2], [0, 8]), z: entry('F32', [0], [4, 4]) }, 8, 'z', 'data_offsets \\[4, 4\\] overlap');
    await bad({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, 12, 'b', 'gap of 4 bytes before this tensor\'s data$');
    await bad({ a: entry('F32', [1], [4, 8]) }, 8, 'a', 'gap of 4 bytes');
    await bad({ a: entry('F32', [1], [0, 4]) }, 6, undefined, 'the tensors cover 4 bytes but the data section holds 6$');
    await bad({}, 1, undefined, 'the tensors cover 0 bytes but the data section holds 1$');
  });

  test('__metadata__ must be an object of strings', async () => {
    for (const m of ['x', 1, [], null, ['a']]) await bad({ __metadata__: m }, 0, undefined, '__metadata__ is not an object of strings$');
    await bad({ __metadata__: { format: 'pt', n: 1 } }, 0, undefined, '__metadata__\\.n is not a string$');
    await bad({ __metadata__: { o: {} } }, 0, undefined, '__metadata__\\.o is not a string$');
  });

  test('reading a name that is not in the file; open errors', async () => {
    const file = await craft(dir, 'one.safetensors', { header: { a: entry('U8', [2], [0, 2]) }, data: new Uint8Array([7, 9]) });
    const r = await SafetensorsReader.open(file);
    await expectReject(() => r.read('nope'), at(file, 'nope', 'no such tensor in the file$'));
    await expectReject(() => r.read('__proto__'), at(file, '__proto__', 'no such tensor'));
    expect((await r.read('a')).data).toEqual(new Uint8Array([7, 9]));
    await r.close();
    await r.close(); // idempotent
    await expectReject(() => r.read('a'), at(file, 'a', 'read after the file was closed$'));
    const missing = join(dir, 'missing.safetensors');
    await expectReject(() => SafetensorsReader.open(missing), at(missing, undefined, 'cannot open file \\(ENOENT\\)$'));
    const sub = join(dir, 'a-directory.safetensors');
    await mkdir(sub);
    await expectReject(() => SafetensorsReader.open(sub), at(sub, undefined, 'not a regular file$'));
  });

  test('a file truncated after open gives an error naming file and tensor', async () => {
    const file = await craft(dir, 'trunc.safetensors', { header: { a: entry('F32', [4], [0, 16]) }, data: 16 });
    const r = await SafetensorsReader.open(file);
    try {
      await truncate(file, 8 + 40);
      await expectReject(() => r.read('a'), at(file, 'a', 'file ended after \\d+ of 16 bytes at offset \\d+'));
    } finally {
      await r.close();
    }
  });

  const fdDir = '/proc/self/fd';
  (existsSync(fdDir) ? test : test.skip)('open() closes its file handle on every error path', async () => {
    const files = [
      await craft(dir, 'fd-1.safetensors', { header: '{}', length: 2n ** 60n }),
      await craft(dir, 'fd-2.safetensors', { header: '{"a":' }),
      await craft(dir, 'fd-3.safetensors', { header: { a: entry('F32', [1], [0, 4]) }, data: 6 }),
    ];
    const count = (): number => readdirSync(fdDir).length;
    const before = count();
    for (let i = 0; i < 20; i++) {
      for (const f of files) await expect(SafetensorsReader.open(f)).rejects.toBeInstanceOf(SafetensorsError);
    }
    expect(count()).toBe(before);
  });
});

describe('valid edge cases', () => {
  test('empty header, zero-size tensors, scalars, space padding, metadata', async () => {
    const empty = await craft(dir, 'empty.safetensors', { header: '{}' });
    expect((await readSafetensors(empty)).tensors.size).toBe(0);
    // Built as text: an object literal would take "__proto__" as the prototype, not a key.
    const header = `{"__metadata__":{"__proto__":"p","format":"pt"},${JSON.stringify({
      s: entry('I64', [], [0, 8]),
      z1: entry('F32', [0, 3], [8, 8]),
      z2: entry('F16', [2, 0], [8, 8]),
      v: entry('I16', [2], [8, 12]),
    }).slice(1)}      `;
    const data = new Uint8Array(12);
    const dv = new DataView(data.buffer);
    dv.setBigInt64(0, -5n, true);
    dv.setInt16(8, -2, true);
    dv.setInt16(10, 300, true);
    const file = await craft(dir, 'edge.safetensors', { header, data });
    const { metadata, tensors } = await readSafetensors(file);
    expect(Object.keys(metadata)).toEqual(['__proto__', 'format']);
    expect(Object.getOwnPropertyDescriptor(metadata, '__proto__')?.value).toBe('p');
    expect(tensors.get('s')).toEqual({ dtype: 'I64', shape: [], data: new BigInt64Array([-5n]) });
    expect(tensors.get('z1')?.shape).toEqual([0, 3]);
    expect(tensors.get('z2')?.data.length).toBe(0);
    expect(tensors.get('v')?.data).toEqual(new Int16Array([-2, 300]));
  });
});

describe('fixture weight files', () => {
  const files = {
    'model.safetensors': { count: 57, dtypes: ['F32'] },
    'model.f16.safetensors': { count: 57, dtypes: ['F16'] },
    'model.bf16.safetensors': { count: 57, dtypes: ['BF16'] },
    'model.with-position-ids.safetensors': { count: 58, dtypes: ['F32', 'I64'] },
  };
  const loaded = new Map<string, Map<string, Tensor>>();
  beforeAll(async () => {
    for (const name of Object.keys(files)) {
      const { metadata, tensors } = await readSafetensors(fixture(name));
      expect(metadata).toEqual({ format: 'pt' });
      loaded.set(name, tensors);
    }
  });
  const get = (file: string): Map<string, Tensor> => loaded.get(file) ?? new Map();

  test.each(Object.entries(files))('%s: tensor count and dtypes', (name, want) => {
    const t = get(name);
    expect(t.size).toBe(want.count);
    expect([...new Set([...t.values()].map((x) => x.dtype))].sort()).toEqual(want.dtypes);
    for (const x of t.values()) expect(x.data.length).toBe(x.shape.reduce((a, b) => a * b, 1));
    expect(t.get('bert.embeddings.word_embeddings.weight')?.shape).toEqual([30522, 32]);
  });

  /**
   * Round to nearest with p fraction bits: |x − rnd(x)| ≤ half an ulp = 2^-(p+1)·2^e ≤ 2^-(p+1)·|x| for
   * normal x; below the smallest normal the ulp is fixed (F16: 2^-24, BF16: 2^-133), so + half of it.
   * F16 (p = 10): 2^-11·|x| + 2^-25.  BF16 (p = 7): 2^-8·|x| + 2^-134.
   */
  test.each([
    ['model.f16.safetensors', 2 ** -11, 2 ** -25, (x: number) => halfToFloat(floatToHalf(x))],
    ['model.bf16.safetensors', 2 ** -8, 2 ** -134, (x: number) => bf16(x)],
  ] as const)('%s widens to the f32 weights rounded', (name, rel, abs, round) => {
    const f32 = get('model.safetensors');
    const low = get(name);
    expect([...low.keys()].sort()).toEqual([...f32.keys()].sort());
    let changed = 0;
    for (const [k, a32] of f32) {
      const a = a32.data as Float32Array;
      const b = low.get(k)?.data as Float32Array;
      expect(b).toBeInstanceOf(Float32Array);
      expect(low.get(k)?.shape).toEqual(a32.shape);
      for (let i = 0; i < a.length; i++) {
        const x = a[i] as number;
        const y = b[i] as number;
        if (!(Math.abs(x - y) <= rel * Math.abs(x) + abs)) throw new Error(`${k}[${i}]: ${x} vs ${y}`);
        // And exactly our round-to-nearest-even (PyTorch's .half() / .bfloat16() round the same way).
        if (y !== round(x)) throw new Error(`${k}[${i}]: ${y} is not ${name} RNE of ${x} (${round(x)})`);
        if (x !== y) changed++;
      }
    }
    expect(changed).toBeGreaterThan(100_000); // the files really are rounded, not f32 copies
  });

  test('position_ids read as I64 0…127; the other tensors equal model.safetensors bit for bit', () => {
    const t = get('model.with-position-ids.safetensors');
    const p = t.get('bert.embeddings.position_ids');
    expect(p?.dtype).toBe('I64');
    expect(p?.shape).toEqual([1, 128]);
    expect(p?.data).toEqual(BigInt64Array.from({ length: 128 }, (_, i) => BigInt(i)));
    for (const [k, v] of get('model.safetensors')) {
      const w = t.get(k);
      expect(w?.dtype).toBe('F32');
      expectSameBytes(v.data, w?.data ?? new Float32Array(0));
    }
  });
});

function bf16(x: number): number {
  const u = new Uint32Array([floatToBfloat16(x) << 16]);
  return new Float32Array(u.buffer)[0] as number;
}
