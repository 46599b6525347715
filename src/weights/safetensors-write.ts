/**
 * safetensors writer. Tensors are laid out largest element size first, then by name (byte order of
 * the UTF-8 names, as the reference implementation sorts), so every tensor starts at a multiple of
 * its element size; the header is padded with spaces to a multiple of 8 bytes (as the reference
 * does). Files are written to a temporary name, synced and renamed, so a reader never sees half a file.
 */
import { SafetensorsError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import { DTYPE_SIZES, encode, isDtype } from './dtypes.js';
import type { Dtype } from './dtypes.js';
import { MAX_HEADER_BYTES } from './safetensors.js';

export interface TensorToWrite {
  dtype: Dtype;
  shape: readonly number[];
  data: ArrayLike<number> | BigInt64Array;
}

/** UTF-8 byte order (= code point order), not JS's UTF-16 code unit order. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The file's bytes. `file` only names the place in error messages. */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  metadata: Record<string, string> = {},
  file?: string,
): Uint8Array {
  const at = (tensor?: string): { file?: string; tensor?: string } => ({
    ...(file === undefined ? {} : { file }),
    ...(tensor === undefined ? {} : { tensor }),
  });
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  for (const [name, t] of entries) {
    if (!isDtype(t.dtype)) throw new SafetensorsError(`unknown dtype ${JSON.stringify(t.dtype)}`, at(name));
  }
  entries.sort(([an, a], [bn, b]) => DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype] || compareNames(an, bn));
  // The header is built as [key, value] pairs and joined by hand: a JS object would reorder
  // integer-like names ("0", "10") and treat "__proto__" specially.
  const header: [string, unknown][] = [];
  const meta = Object.entries(metadata);
  for (const [k, v] of meta) {
    if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`, at());
  }
  if (meta.length > 0) header.push(['__metadata__', Object.fromEntries(meta)]);
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError('a tensor cannot be named __metadata__', at(name));
    // Refuse what the reader would refuse: negative, fractional or unsafe dimensions.
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`shape ${JSON.stringify(t.shape)} has a dimension that is not a non-negative integer`, at(name));
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new SafetensorsError('data length does not match shape', { ...at(name), expected: `${n} (${JSON.stringify(t.shape)})`, found: `${t.data.length}` });
    }
    const bytes = encode(t.data, t.dtype, at(name));
    header.push([name, { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] }]);
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  const text = `{${header.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
  const json = new TextEncoder().encode(text);
  const headerLength = Math.ceil(json.byteLength / 8) * 8;
  if (headerLength > MAX_HEADER_BYTES) {
    throw new SafetensorsError(`header would be ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit readers accept`, at());
  }
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength); // space padding: still valid JSON
  let pos = 8 + headerLength;
  for (const b of blobs) {
    out.set(b, pos);
    pos += b.byteLength;
  }
  return out;
}

/** Writes atomically (writeFileAtomic: a temporary beside `file`, fsync, then rename over it). */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(file, serializeSafetensors(tensors, metadata, file), { error: SafetensorsError });
}
