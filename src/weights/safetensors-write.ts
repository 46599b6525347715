/**
 * safetensors writer. Tensors are laid out largest element size first, then by name, so every
 * tensor starts at a multiple of its element size; the header is padded with spaces to a multiple
 * of 8 bytes (as the reference implementation does). Files are written to a temporary name and
 * renamed, so a reader never sees half a file.
 */
import { rename, writeFile, unlink } from 'node:fs/promises';
import { SafetensorsError } from '../errors.js';
import { DTYPE_SIZES, encode } from './dtypes.js';
import type { Dtype } from './dtypes.js';

export interface TensorToWrite {
  dtype: Dtype;
  shape: readonly number[];
  data: ArrayLike<number> | BigInt64Array;
}

export function serializeSafetensors(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  entries.sort(([an, a], [bn, b]) => DTYPE_SIZES[b.dtype] - DTYPE_SIZES[a.dtype] || (an < bn ? -1 : an > bn ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new SafetensorsError('a tensor cannot be named __metadata__', { tensor: name });
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new SafetensorsError('data length does not match shape', { tensor: name, expected: `${n} (${JSON.stringify(t.shape)})`, found: `${t.data.length}` });
    }
    const bytes = encode(t.data, t.dtype);
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const pad = (8 - (jsonBytes.byteLength % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const b of blobs) {
    out.set(b, pos);
    pos += b.byteLength;
  }
  return out;
}

/** Writes atomically: `file.tmp-<pid>` then rename. */
export async function writeSafetensors(file: string, tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata: Record<string, string> = {}): Promise<void> {
  const bytes = serializeSafetensors(tensors, metadata);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new SafetensorsError(`cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}
