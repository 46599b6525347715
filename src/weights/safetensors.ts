/**
 * A validating safetensors reader. Format (huggingface/safetensors docs): 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`,
 * then the data section; offsets are relative to the data section. Everything is checked before
 * any tensor is read: a crafted file gets a SafetensorsError naming the file and tensor, never an
 * allocation the size of its claims.
 */
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { SafetensorsError } from '../errors.js';
import { DTYPE_SIZES, decode, isDtype } from './dtypes.js';
import type { Dtype, TensorData } from './dtypes.js';

/** The largest header we accept (the reference implementation's limit is also 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Byte offsets relative to the data section, [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In file order (ascending offsets). */
  tensors: TensorInfo[];
  /** Absolute offset of the data section: 8 + header length. */
  dataStart: number;
}

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

/** Reads the 8-byte length prefix; checks it against the file size and the limit. */
export function parseHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new SafetensorsError(`file is ${fileSize} bytes, too short for the 8-byte header length`, { file });
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`, { file });
  }
  if (n > BigInt(fileSize - 8)) {
    throw new SafetensorsError(`header length ${n} runs past the end of the file (${fileSize} bytes)`, { file });
  }
  if (n < 2n) throw new SafetensorsError(`header length ${n} is too short for a JSON object`, { file });
  return Number(n);
}

/** Parses and validates the JSON header (the N bytes after the length). `dataSize`: bytes after the header. */
export function parseHeader(json: Uint8Array, dataSize: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(json);
  } catch {
    throw new SafetensorsError('header is not valid UTF-8', { file });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON (${(e as Error).message})`, { file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsError('header is not a JSON object', { file });
  }
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new SafetensorsError('__metadata__ is not an object of strings', { file });
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} is not a string`, { file });
        metadata[k] = v;
      }
      continue;
    }
    tensors.push(parseEntry(name, entry, file));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of tensors) {
    if (t.begin < cursor) {
      throw new SafetensorsError(`data_offsets [${t.begin}, ${t.end}] overlap the previous tensor (which ends at ${cursor})`, { file, tensor: t.name });
    }
    if (t.begin > cursor) {
      throw new SafetensorsError(`gap of ${t.begin - cursor} bytes before this tensor's data`, { file, tensor: t.name });
    }
    if (t.end > dataSize) {
      throw new SafetensorsError(`data_offsets end ${t.end} is past the data section (${dataSize} bytes)`, { file, tensor: t.name });
    }
    cursor = t.end;
  }
  if (cursor !== dataSize) {
    throw new SafetensorsError(`the tensors cover ${cursor} bytes but the data section holds ${dataSize}`, { file });
  }
  return { metadata, tensors, dataStart: 8 + json.byteLength };
}

function parseEntry(name: string, entry: unknown, file: string): TensorInfo {
  const place = { file, tensor: name };
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new SafetensorsError('entry is not an object', place);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (!isDtype(dtype)) {
    throw new SafetensorsError(`unknown dtype ${JSON.stringify(dtype)}`, { ...place, expected: Object.keys(DTYPE_SIZES).join('|') });
  }
  if (!Array.isArray(shape)) throw new SafetensorsError('shape is not an array', place);
  let elements = 1;
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new SafetensorsError(`shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`, place);
    }
    elements *= d;
    if (!Number.isSafeInteger(elements)) throw new SafetensorsError(`shape ${JSON.stringify(shape)} has too many elements`, place);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new SafetensorsError('data_offsets is not a pair [begin, end]', place);
  }
  const [begin, end] = offsets as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < begin) {
    throw new SafetensorsError(`data_offsets ${JSON.stringify(offsets)} are not integers 0 <= begin <= end`, place);
  }
  const expected = elements * DTYPE_SIZES[dtype];
  if (end - begin !== expected) {
    throw new SafetensorsError('byte length does not match shape × element size', {
      ...place,
      expected: `${expected} bytes (${JSON.stringify(shape)} × ${DTYPE_SIZES[dtype]})`,
      found: `${end - begin}`,
    });
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** An open safetensors file: the header is validated at open, tensors are read on demand. */
export class SafetensorsReader {
  private constructor(
    readonly file: string,
    readonly header: SafetensorsHeader,
    private readonly fh: FileHandle,
    private readonly byName: Map<string, TensorInfo>,
  ) {}

  static async open(file: string): Promise<SafetensorsReader> {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (e) {
      throw new SafetensorsError(`cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
    }
    const fh = await open(file, 'r');
    try {
      const prefix = await readExactly(fh, 0, Math.min(8, size));
      const n = parseHeaderLength(prefix, size, file);
      const header = parseHeader(await readExactly(fh, 8, n), size - 8 - n, file);
      return new SafetensorsReader(file, header, fh, new Map(header.tensors.map((t) => [t.name, t])));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  info(name: string): TensorInfo | undefined {
    return this.byName.get(name);
  }

  async read(name: string): Promise<Tensor> {
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsError('no such tensor in the file', { file: this.file, tensor: name });
    const bytes = await readExactly(this.fh, this.header.dataStart + t.begin, t.end - t.begin);
    return { dtype: t.dtype, shape: [...t.shape], data: decode(bytes, t.dtype) };
  }

  async readAll(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const t of this.header.tensors) out.set(t.name, await this.read(t.name));
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Reads every tensor of a file. */
export async function readSafetensors(file: string): Promise<{ metadata: Record<string, string>; tensors: Map<string, Tensor> }> {
  const r = await SafetensorsReader.open(file);
  try {
    return { metadata: r.header.metadata, tensors: await r.readAll() };
  } finally {
    await r.close();
  }
}

async function readExactly(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done !== length) throw new SafetensorsError(`file ended after ${done} of ${length} bytes at offset ${position}`);
  return buf;
}
