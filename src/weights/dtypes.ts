/**
 * safetensors dtypes: element sizes and conversion of raw little-endian bytes to JS arrays.
 * Floating types widen to float32 (as HF does when it loads f16/bf16 weights into an fp32 model).
 */
import { SafetensorsError } from '../errors.js';

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

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Values as read from a file. I64 stays BigInt64Array: narrowing it is the caller's decision. */
export type TensorData = Float32Array | Int32Array | BigInt64Array | Int16Array | Int8Array | Uint8Array;

/** Copies `bytes` (little-endian, any alignment) into a typed array for `dtype`. */
export function decode(bytes: Uint8Array, dtype: Dtype): TensorData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength / DTYPE_SIZES[dtype];
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Float32Array(bytes.slice().buffer);
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
      if (LITTLE_ENDIAN) return new Int32Array(bytes.slice().buffer);
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

/** Encodes values as `dtype` (little-endian). Floats are rounded to nearest even for F16/BF16. */
export function encode(data: ArrayLike<number> | BigInt64Array, dtype: Dtype): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n * DTYPE_SIZES[dtype]);
  const view = new DataView(out.buffer);
  const num = (i: number): number => Number((data as ArrayLike<number | bigint>)[i]);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'F32': view.setFloat32(i * 4, num(i), true); break;
      case 'F64': view.setFloat64(i * 8, num(i), true); break;
      case 'F16': view.setUint16(i * 2, floatToHalf(num(i)), true); break;
      case 'BF16': view.setUint16(i * 2, floatToBfloat16(num(i)), true); break;
      case 'I64': view.setBigInt64(i * 8, BigInt((data as ArrayLike<number | bigint>)[i] as number | bigint), true); break;
      case 'I32': view.setInt32(i * 4, num(i), true); break;
      case 'I16': view.setInt16(i * 2, num(i), true); break;
      case 'I8': view.setInt8(i, num(i)); break;
      case 'U8': view.setUint8(i, num(i)); break;
      case 'BOOL': view.setUint8(i, num(i) ? 1 : 0); break;
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

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function floatToBfloat16(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  if (Number.isNaN(x)) return 0x7fc0;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

export function floatToHalf(x: number): number {
  f32[0] = x;
  const bits = u32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half;
  return sign | e;
}
