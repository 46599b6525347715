/**
 * safetensors dtypes: element sizes and conversion of raw little-endian bytes to JS arrays.
 * Floating types widen to float32 (as HF does when it loads f16/bf16 weights into an fp32 model).
 */
import { SafetensorsError } from '../errors.js';
import type { ErrorPlace } from '../errors.js';

export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type Dtype = keyof typeof DTYPE_SIZES;
export type FloatDtype = 'F64' | 'F32' | 'F16' | 'BF16';

export function isDtype(s: unknown): s is Dtype {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZES, s);
}

export function isFloatDtype(d: Dtype): d is FloatDtype {
  return d === 'F64' || d === 'F32' || d === 'F16' || d === 'BF16';
}

/** Whether this machine stores numbers little-endian, as safetensors does. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `bytes` is its whole (non-shared) buffer, so a view of that buffer has the right alignment and no other data. */
function wholeAligned(bytes: Uint8Array, size: number): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer && bytes.byteLength % size === 0;
}

/** Values as read from a file. I64 stays BigInt64Array: narrowing it is the caller's decision. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array;

/**
 * `bytes` (little-endian, any alignment) as a typed array for `dtype`: a copy, or with `owned`
 * (the caller gives up a buffer that holds these bytes alone) a view of the same memory where the
 * layout allows: a model's weights are then not copied once more into fresh pages, which cost
 * ≈ 3.5 s/GiB on first touch on these VMs.
 */
export function decode(bytes: Uint8Array, dtype: Dtype, place: ErrorPlace = {}, owned = false): TensorData {
  if (bytes.byteLength % DTYPE_SIZES[dtype] !== 0) {
    throw new SafetensorsError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`, place);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_SIZES[dtype];
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return owned && wholeAligned(bytes, 4) ? new Float32Array(bytes.buffer, 0, n) : new Float32Array(bytes.slice().buffer);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32: shift it back into place.
      const out = new Float32Array(n);
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u32[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigInt64(i * 8, true);
      return out;
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return owned && wholeAligned(bytes, 4) ? new Int32Array(bytes.buffer, 0, n) : new Int32Array(bytes.slice().buffer);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8':
      return new Int8Array(bytes.slice().buffer);
    case 'U8':
    case 'BOOL':
      return bytes.slice();
  }
}

/** Inclusive integer ranges; a value outside is refused rather than wrapped modulo 2^bits. */
const INT_RANGES = {
  I32: [-2147483648, 2147483647],
  I16: [-32768, 32767],
  I8: [-128, 127],
  U8: [0, 255],
  BOOL: [0, 1],
} as const;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * Encodes values as `dtype` (little-endian). Floats are rounded to nearest even for F16/BF16.
 * Integer dtypes refuse non-integers and out-of-range values (DataView would silently wrap them).
 */
export function encode(data: ArrayLike<number> | BigInt64Array, dtype: Dtype, place: ErrorPlace = {}): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n * DTYPE_SIZES[dtype]);
  const view = new DataView(out.buffer);
  const values = data as ArrayLike<number | bigint>;
  const bad = (i: number): SafetensorsError =>
    new SafetensorsError(`value ${String(values[i])} at index ${i} is not representable as ${dtype}`, place);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number | bigint;
    if (dtype === 'I64') {
      const b = typeof v === 'bigint' ? v : Number.isInteger(v) ? BigInt(v) : undefined;
      if (b === undefined || b < I64_MIN || b > I64_MAX) throw bad(i);
      view.setBigInt64(i * 8, b, true);
      continue;
    }
    const x = Number(v);
    if (dtype !== 'F64' && dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') {
      const [lo, hi] = INT_RANGES[dtype];
      if (!Number.isInteger(x) || x < lo || x > hi) throw bad(i);
    }
    switch (dtype) {
      case 'F32': view.setFloat32(i * 4, x, true); break;
      case 'F64': view.setFloat64(i * 8, x, true); break;
      case 'F16': view.setUint16(i * 2, floatToHalf(x), true); break;
      case 'BF16': view.setUint16(i * 2, floatToBfloat16(x), true); break;
      case 'I32': view.setInt32(i * 4, x, true); break;
      case 'I16': view.setInt16(i * 2, x, true); break;
      case 'I8': view.setInt8(i, x); break;
      case 'U8':
      case 'BOOL': view.setUint8(i, x); break;
    }
  }
  return out;
}

/** Narrows I64/I32/I16/I8/U8/BOOL data to Int32Array, refusing values outside int32. */
export function toInt32(data: TensorData, what: { file?: string; tensor?: string }): Int32Array {
  if (data instanceof Int32Array) return data;
  if (data instanceof Float32Array) {
    throw new SafetensorsError('expected an integer tensor', { ...what, expected: 'I64 or I32', found: 'a float dtype' });
  }
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v > 2147483647 || v < -2147483648) {
      throw new SafetensorsError(`value ${String(data[i])} at index ${i} does not fit in int32`, what);
    }
    out[i] = v;
  }
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** bfloat16 bits of x, rounded to nearest even from the exact value of x. NaN → 0x7fc0 (as PyTorch). */
export function floatToBfloat16(x: number): number {
  if (Number.isNaN(x)) return 0x7fc0;
  return (signBit(x) << 15) | roundBits(Math.abs(x), BF16);
}

/** float16 bits of x, rounded to nearest even from the exact value of x. NaN → quiet NaN 0x7e00. */
export function floatToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  return (signBit(x) << 15) | roundBits(Math.abs(x), F16);
}

function signBit(x: number): number {
  return x < 0 || Object.is(x, -0) ? 1 : 0;
}

interface Format {
  /** Fraction bits. */
  mant: number;
  /** Exponent bias. */
  bias: number;
  /** Smallest normal value, 2^(1 − bias). */
  minNormal: number;
  /** 1 / the subnormal quantum, 2^(bias − 1 + mant). */
  subScale: number;
  /** 2^mant. */
  fracScale: number;
}
const format = (mant: number, bias: number): Format => ({ mant, bias, minNormal: 2 ** (1 - bias), subScale: 2 ** (bias - 1 + mant), fracScale: 2 ** mant });
const F16 = format(10, 15);
const BF16 = format(7, 127);
const scratch = new DataView(new ArrayBuffer(8));

/**
 * Bit pattern (without sign) of the value of format `f` nearest to a ≥ 0, ties to even. Rounds once,
 * straight from the double: going through float32 first would round twice and can break ties the
 * wrong way (1 + 2^-11 + 2^-40 must round up in F16). Every step is exact in double arithmetic.
 */
function roundBits(a: number, f: Format): number {
  const infExp = 2 * f.bias + 1; // all-ones exponent field
  if (a === Infinity) return infExp << f.mant;
  let e: number;
  let q: number; // a in units of the target's last place, before rounding
  if (a < f.minNormal) {
    e = 0; // subnormal or zero: fixed quantum
    q = a * f.subScale;
  } else {
    // a is a normal double here: read its exponent, and its significand m in [1, 2) by
    // overwriting the exponent field with 1023 (exact, and much faster than log2 and 2 ** e).
    scratch.setFloat64(0, a);
    const hi = scratch.getUint32(0);
    e = ((hi >>> 20) & 0x7ff) - 1023 + f.bias;
    if (e >= infExp) return infExp << f.mant;
    scratch.setUint32(0, (hi & 0x000fffff) | 0x3ff00000);
    q = (scratch.getFloat64(0) - 1) * f.fracScale;
  }
  let r = Math.floor(q);
  const rem = q - r;
  if (rem > 0.5 || (rem === 0.5 && r % 2 === 1)) r++;
  // A carry out of the fraction lands in the exponent field, which is exactly right: the next binade,
  // subnormal → smallest normal, or the largest finite → infinity.
  return (e << f.mant) + r;
}
