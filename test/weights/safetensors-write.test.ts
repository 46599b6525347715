/**
 * The writer: round trips for every dtype and shape, the reference layout, RNE rounding to F16/BF16
 * derived from first principles, special values, atomic writes, and bit-identical fixture rewrites.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serializeSafetensors, writeSafetensors } from '../../src/weights/safetensors-write.js';
import type { TensorToWrite } from '../../src/weights/safetensors-write.js';
import { readSafetensors, parseHeader, parseHeaderLength } from '../../src/weights/safetensors.js';
import { DTYPE_SIZES, floatToBfloat16, floatToHalf, halfToFloat } from '../../src/weights/dtypes.js';
import type { Dtype } from '../../src/weights/dtypes.js';
import { SafetensorsError } from '../../src/errors.js';
import { at, cleanupTempDirs, expectReject, expectSameBytes, fixture, tempDir } from './util.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(cleanupTempDirs);

const SHAPES: number[][] = [[], [0], [3], [2, 3], [2, 0, 3], [1, 2, 2]];
const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** n sample values of a dtype (F16/BF16: exactly representable; F32/F64 read back through Math.fround). */
function sample(dtype: Dtype, n: number): number[] | BigInt64Array {
  const pick = (vals: number[]): number[] => Array.from({ length: n }, (_, i) => vals[i % vals.length] as number);
  switch (dtype) {
    case 'F64':
    case 'F32': return pick([0, -0, 1.5, -2.25, 3.4e38, 1e-45, Infinity, -Infinity, 0.1]);
    case 'F16': return pick([0, -0, 1.5, -65504, 2 ** -24, 2 ** -14, Infinity, 0.099975586]);
    case 'BF16': return pick([0, -0, 1.5, -3.3895313892515355e38, 2 ** -133, 2 ** -126, -Infinity, 0.10009765625]);
    case 'I64': return BigInt64Array.from({ length: n }, (_, i) => [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, 123456789012345n][i % 5] as bigint);
    case 'I32': return pick([-2147483648, 2147483647, 0, -1, 7]);
    case 'I16': return pick([-32768, 32767, 0, -1, 7]);
    case 'I8': return pick([-128, 127, 0, -1, 7]);
    case 'U8': return pick([0, 255, 1, 128]);
    case 'BOOL': return pick([1, 0, 0, 1, 1]);
  }
}

describe('round trip', () => {
  const dtypes = Object.keys(DTYPE_SIZES) as Dtype[];
  test.each(dtypes)('%s, every shape', async (dtype) => {
    const tensors = new Map<string, TensorToWrite>();
    SHAPES.forEach((shape, i) => tensors.set(`t${i}`, { dtype, shape, data: sample(dtype, size(shape)) }));
    const file = join(dir, `rt-${dtype}.safetensors`);
    await writeSafetensors(file, tensors, { format: 'pt', dtype });
    const { metadata, tensors: back } = await readSafetensors(file);
    expect(metadata).toEqual({ format: 'pt', dtype });
    expect(back.size).toBe(SHAPES.length);
    for (const [name, t] of tensors) {
      const r = back.get(name);
      expect(r?.dtype).toBe(dtype);
      expect(r?.shape).toEqual(t.shape);
      // Floats read back as float32 (F64 narrows), integers as their own type.
      const want = dtype === 'I64' ? t.data : Array.from(t.data as ArrayLike<number>, (v) => (dtype === 'F64' || dtype === 'F32' ? Math.fround(v) : v));
      expect(Array.from(r?.data as ArrayLike<number | bigint>)).toEqual(Array.from(want as ArrayLike<number | bigint>));
    }
  });

  test('F64 bytes hold the doubles exactly (the reader narrows; the file must not)', () => {
    const bytes = serializeSafetensors({ d: { dtype: 'F64', shape: [2], data: [0.1, -1e300] } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const dv = new DataView(bytes.buffer, 8 + n);
    expect([dv.getFloat64(0, true), dv.getFloat64(8, true)]).toEqual([0.1, -1e300]);
  });

  test('NaN, ±Inf, ±0 and subnormals survive in every float dtype', async () => {
    const f16sub = [2 ** -24, 3 * 2 ** -24, 1023 * 2 ** -24];
    const bf16sub = [2 ** -133, 5 * 2 ** -133, 127 * 2 ** -133];
    const f32sub = [2 ** -149, 3 * 2 ** -149, 2 ** -127];
    const specials = [NaN, Infinity, -Infinity, 0, -0];
    const file = join(dir, 'special.safetensors');
    await writeSafetensors(file, {
      h: { dtype: 'F16', shape: [8], data: [...specials, ...f16sub] },
      b: { dtype: 'BF16', shape: [8], data: [...specials, ...bf16sub] },
      f: { dtype: 'F32', shape: [8], data: [...specials, ...f32sub] },
      d: { dtype: 'F64', shape: [8], data: [...specials, ...f32sub] },
    });
    const back = (await readSafetensors(file)).tensors;
    for (const [name, sub] of [['h', f16sub], ['b', bf16sub], ['f', f32sub], ['d', f32sub]] as const) {
      // toEqual distinguishes 0 from −0 and treats NaN as equal to NaN.
      expect(Array.from(back.get(name)?.data as Float32Array)).toEqual([...specials, ...sub]);
    }
  });
});

describe('layout', () => {
  const tensors: Record<string, TensorToWrite> = {
    'b.u8': { dtype: 'U8', shape: [3], data: [1, 2, 3] },
    'a.f16': { dtype: 'F16', shape: [3], data: [1, 2, 3] },
    'z.f64': { dtype: 'F64', shape: [1], data: [1] },
    'a.bool': { dtype: 'BOOL', shape: [1], data: [1] },
    'c.bf16': { dtype: 'BF16', shape: [1], data: [1] },
    'm.i32': { dtype: 'I32', shape: [1], data: [1] },
    'a.i64': { dtype: 'I64', shape: [1], data: new BigInt64Array([1n]) },
    'é': { dtype: 'F32', shape: [1], data: [1] },
    '\u{1F600}': { dtype: 'F32', shape: [1], data: [1] },
    '\uFF01': { dtype: 'F32', shape: [1], data: [1] },
    '10': { dtype: 'F32', shape: [1], data: [1] },
    '9': { dtype: 'F32', shape: [1], data: [1] },
    'a.i8': { dtype: 'I8', shape: [1], data: [1] },
    'a.i16': { dtype: 'I16', shape: [0], data: [] },
  };
  const bytes = serializeSafetensors(tensors, { format: 'pt' });
  const n = parseHeaderLength(bytes.subarray(0, 8), bytes.byteLength, 'mem');
  const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));

  test('largest element size first, then by name (UTF-8 byte order); JSON order = file order', () => {
    const header = parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n, 'mem');
    // 😀 (F0 9F …) sorts after ！ (EF BC 81) in UTF-8 although its UTF-16 form (D83D …) sorts before.
    expect(header.tensors.map((t) => t.name)).toEqual(['a.i64', 'z.f64', '10', '9', 'm.i32', 'é', '\uFF01', '\u{1F600}', 'a.f16', 'a.i16', 'c.bf16', 'a.bool', 'a.i8', 'b.u8']);
    const keys = [...text.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
    expect(keys).toEqual(header.tensors.map((t) => t.name));
    expect(text.startsWith('{"__metadata__":{"format":"pt"},"a.i64":')).toBe(true);
    for (const t of header.tensors) {
      const s = DTYPE_SIZES[t.dtype];
      expect(t.begin % s).toBe(0);
      expect((header.dataStart + t.begin) % s).toBe(0); // aligned in the file too
    }
  });

  test('header padded with spaces to a multiple of 8', () => {
    expect(n % 8).toBe(0);
    const h = bytes.subarray(8, 8 + n); // bytes, not characters: the names hold multi-byte UTF-8
    const close = h.lastIndexOf(0x7d);
    expect(close).toBeGreaterThan(n - 9);
    expect(h.subarray(close + 1).every((b) => b === 0x20)).toBe(true);
    expect(text).toContain('"é":');
    // Every padding length 0…7 occurs as the name grows by one character.
    const pads = new Set<number>();
    for (let k = 1; k <= 8; k++) {
      const b = serializeSafetensors({ ['x'.repeat(k)]: { dtype: 'U8', shape: [1], data: [5] } });
      const len = Number(new DataView(b.buffer).getBigUint64(0, true));
      expect(len % 8).toBe(0);
      const h = new TextDecoder().decode(b.subarray(8, 8 + len));
      pads.add(h.length - h.trimEnd().length);
      expect(JSON.parse(h)).toEqual({ ['x'.repeat(k)]: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } });
    }
    expect([...pads].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test('no __metadata__ key when there is no metadata', () => {
    const b = serializeSafetensors({ x: { dtype: 'U8', shape: [], data: [1] } });
    expect(new TextDecoder().decode(b.subarray(8, 8 + 8 * 6))).not.toContain('__metadata__');
  });
});

describe('rounding to F16 / BF16 is round-to-nearest-even, from the exact value', () => {
  /*
   * F16: 10 fraction bits, so in [1, 2) the spacing is 2^-10 and 1 + 2^-11 lies exactly halfway
   * between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01, odd): ties to even gives 1. 1 + 3·2^-11 lies
   * halfway between 0x3c01 (odd) and 0x3c02 (even): up. Below 1 the spacing halves (2^-11), so
   * 1 − 2^-12 is halfway between 0x3bff (odd) and 0x3c00: up to 1. Subnormals have spacing 2^-24:
   * 2^-25 is halfway between 0 and 0x0001 → 0; 3·2^-25 between 0x0001 and 0x0002 → 0x0002.
   * The largest finite is 65504 = (2 − 2^-10)·2^15; 65520 is halfway to 2^16 (odd → up: Inf).
   * A value just above a tie (1 + 2^-11 + 2^-40) must round up; rounding to float32 first would
   * make it an exact tie and round it down.
   */
  const f16: [number, number][] = [
    [1, 0x3c00], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -11 + 2 ** -40, 0x3c01],
    [1 + 2 ** -11 - 2 ** -40, 0x3c00], [1 - 2 ** -12, 0x3c00], [1 - 3 * 2 ** -12, 0x3bfe], [-(1 + 3 * 2 ** -11), 0xbc02],
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [3 * 2 ** -25, 0x0002], [2 ** -25 + 2 ** -50, 0x0001],
    [2 ** -14 - 2 ** -25, 0x0400], [2 ** -14, 0x0400], [1023 * 2 ** -24, 0x03ff], [-(2 ** -26), 0x8000],
    [65504, 0x7bff], [65519.99, 0x7bff], [65520, 0x7c00], [1e10, 0x7c00], [-1e300, 0xfc00],
    [Infinity, 0x7c00], [-Infinity, 0xfc00], [0, 0x0000], [-0, 0x8000], [1e-300, 0x0000], [5e-324, 0x0000],
  ];
  /* BF16: 7 fraction bits; the same reasoning with 2^-8 in place of 2^-11, subnormal spacing 2^-133. */
  const bf16: [number, number][] = [
    [1, 0x3f80], [1 + 2 ** -8, 0x3f80], [1 + 3 * 2 ** -8, 0x3f82], [1 + 2 ** -8 + 2 ** -30, 0x3f81],
    [1 - 2 ** -9, 0x3f80], [-(1 + 3 * 2 ** -8), 0xbf82], [2 ** -133, 0x0001], [2 ** -134, 0x0000],
    [3 * 2 ** -134, 0x0002], [2 ** -126 - 2 ** -134, 0x0080], [(2 - 2 ** -7) * 2 ** 127, 0x7f7f],
    [(2 - 2 ** -8) * 2 ** 127, 0x7f80], [3.4028234663852886e38, 0x7f80], [Infinity, 0x7f80], [-Infinity, 0xff80],
    [-0, 0x8000], [0.1, 0x3dcd],
  ];
  const hex = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
  test.each(f16.map(([x, b]) => [String(x), x, hex(b)]))('F16 %s → %s', (_, x, want) => {
    expect(hex(floatToHalf(x as number))).toBe(want);
  });
  test.each(bf16.map(([x, b]) => [String(x), x, hex(b)]))('BF16 %s → %s', (_, x, want) => {
    expect(hex(floatToBfloat16(x as number))).toBe(want);
  });
  test('NaN stays NaN', () => {
    const h = floatToHalf(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x3ff).not.toBe(0);
    expect(floatToBfloat16(NaN)).toBe(0x7fc0);
  });
  test('every F16 value maps back to its own bits; midpoints go to the even neighbour', () => {
    for (let h = 0; h < 0x7c00; h++) {
      const x = halfToFloat(h);
      expect(floatToHalf(x)).toBe(h);
      expect(floatToHalf(-x)).toBe(h | 0x8000);
      if (h < 0x7bff) {
        const mid = (x + halfToFloat(h + 1)) / 2; // exact in double
        if (floatToHalf(mid) !== (h % 2 === 0 ? h : h + 1)) throw new Error(`midpoint after ${hex(h)}`);
      }
    }
  });
  test('the file holds the rounded bits', () => {
    const data = f16.map(([x]) => x);
    const bytes = serializeSafetensors({ h: { dtype: 'F16', shape: [data.length], data } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const dv = new DataView(bytes.buffer, 8 + n);
    expect(f16.map((_, i) => hex(dv.getUint16(2 * i, true)))).toEqual(f16.map(([, b]) => hex(b)));
  });
});

describe('refusals', () => {
  const file = (): string => join(dir, 'refused.safetensors');
  const write = (t: TensorToWrite): Promise<void> => writeSafetensors(file(), { t });
  test('values an integer dtype cannot hold are refused, not wrapped', async () => {
    await expectReject(() => write({ dtype: 'I8', shape: [2], data: [1, 128] }), at(file(), 't', 'value 128 at index 1 is not representable as I8$'));
    await expectReject(() => write({ dtype: 'U8', shape: [1], data: [-1] }), at(file(), 't', 'value -1 at index 0 is not representable as U8'));
    await expectReject(() => write({ dtype: 'I32', shape: [1], data: [1.5] }), at(file(), 't', 'value 1.5 .* as I32'));
    await expectReject(() => write({ dtype: 'I32', shape: [1], data: [2 ** 31] }), at(file(), 't', 'value 2147483648 .* as I32'));
    await expectReject(() => write({ dtype: 'I16', shape: [1], data: [NaN] }), at(file(), 't', 'value NaN .* as I16'));
    await expectReject(() => write({ dtype: 'I64', shape: [1], data: [0.5] }), at(file(), 't', 'value 0.5 .* as I64'));
    await expectReject(() => write({ dtype: 'BOOL', shape: [1], data: [2] }), at(file(), 't', 'value 2 .* as BOOL'));
    const bigs = [2n ** 63n] as unknown as ArrayLike<number>; // a plain array of BigInt, as a caller might pass
    await expectReject(() => write({ dtype: 'I64', shape: [1], data: bigs }), at(file(), 't', 'value 9223372036854775808 .* as I64'));
  });
  test('bad shapes, lengths, names, dtypes', async () => {
    await expectReject(() => write({ dtype: 'F32', shape: [-1, -2], data: [1, 2] }), at(file(), 't', 'shape \\[-1,-2\\] has a dimension'));
    await expectReject(() => write({ dtype: 'F32', shape: [1.5, 2], data: [1, 2, 3] }), at(file(), 't', 'shape \\[1.5,2\\]'));
    await expectReject(() => write({ dtype: 'F32', shape: [2, 2], data: [1, 2, 3] }), at(file(), 't', 'data length does not match shape \\(expected 4 \\(\\[2,2\\]\\), found 3\\)$'));
    await expectReject(() => write({ dtype: 'F8' as Dtype, shape: [1], data: [1] }), at(file(), 't', 'unknown dtype "F8"'));
    await expectReject(
      () => writeSafetensors(file(), { __metadata__: { dtype: 'U8', shape: [], data: [1] } }),
      at(file(), '__metadata__', 'a tensor cannot be named __metadata__'),
    );
    await expectReject(() => writeSafetensors(file(), {}, { n: 1 as unknown as string }), at(file(), undefined, '__metadata__\\.n is not a string'));
    expect(() => serializeSafetensors({ t: { dtype: 'I8', shape: [1], data: [300] } })).toThrow(/^tensor 't': value 300/);
    expect((await readdir(dir)).filter((f) => f.includes('refused'))).toEqual([]);
  });
});

describe('atomic writes', () => {
  test('no temporary left; overwrite replaces; a name with "__proto__" is a plain key', async () => {
    const d = await tempDir();
    const f = join(d, 'out.safetensors');
    await writeFile(f, 'old contents');
    await Promise.all([1, 2, 3].map((v) => writeSafetensors(f, new Map([['__proto__', { dtype: 'U8' as const, shape: [1], data: [v] }]]))));
    expect(await readdir(d)).toEqual(['out.safetensors']);
    const t = (await readSafetensors(f)).tensors.get('__proto__');
    expect([1, 2, 3]).toContain(t?.data[0]);
  });

  test('an unwritable place gives SafetensorsError naming the file, and leaves nothing', async () => {
    const d = await tempDir();
    const t = { x: { dtype: 'U8' as const, shape: [1], data: [1] } };
    const noDir = join(d, 'no-such-dir', 'w.safetensors');
    await expectReject(() => writeSafetensors(noDir, t), at(noDir, undefined, 'cannot write \\(ENOENT\\)$'));
    await writeFile(join(d, 'plain-file'), '');
    const underFile = join(d, 'plain-file', 'w.safetensors');
    await expectReject(() => writeSafetensors(underFile, t), at(underFile, undefined, 'cannot write \\(ENOTDIR\\)$'));
    // The target is a directory: the temporary is written, the rename fails, the temporary goes.
    const asDir = await tempDir();
    await expectReject(() => writeSafetensors(asDir, t), at(asDir, undefined, 'cannot write \\(EISDIR\\)$'));
    expect((await readdir(d)).filter((n) => n.includes('.tmp-'))).toEqual([]);
    const parent = join(asDir, '..');
    expect((await readdir(parent)).filter((n) => n.startsWith(`${asDir.split('/').pop() ?? ''}.tmp-`))).toEqual([]);
  });

  (process.getuid?.() === 0 ? test.skip : test)('a read-only directory (not as root)', async () => {
    const { chmod } = await import('node:fs/promises');
    const d = await tempDir();
    await chmod(d, 0o500);
    const f = join(d, 'w.safetensors');
    await expectReject(() => writeSafetensors(f, { x: { dtype: 'U8', shape: [1], data: [1] } }), at(f, undefined, 'cannot write \\(EACCES\\)$'));
    await chmod(d, 0o700);
  });
});

describe('rewriting the fixture', () => {
  test.each(['model.safetensors', 'model.with-position-ids.safetensors', 'model.f16.safetensors', 'model.bf16.safetensors'])(
    '%s: read + write gives the same bytes',
    async (name) => {
      const src = fixture(name);
      const { metadata, tensors } = await readSafetensors(src);
      const out = join(dir, `rewrite-${name}`);
      // F16/BF16 were widened to float32 on read; writing them back as F16/BF16 must be exact.
      await writeSafetensors(out, tensors, metadata);
      const back = (await readSafetensors(out)).tensors;
      expect([...back.keys()]).toEqual([...tensors.keys()]);
      for (const [k, t] of tensors) {
        expect(back.get(k)?.dtype).toBe(t.dtype);
        expectSameBytes(back.get(k)?.data ?? new Uint8Array(0), t.data);
      }
      // Same layout and header as the reference implementation wrote: the whole file is identical.
      expectSameBytes(await readFile(out), await readFile(src));
    },
  );
});

test('SafetensorsError is what the writer throws', () => {
  expect(() => serializeSafetensors({ t: { dtype: 'U8', shape: [2], data: [1] } })).toThrow(SafetensorsError);
});
