/**
 * A validating safetensors reader. Format (huggingface/safetensors docs): 8-byte little-endian
 * header length N, N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`,
 * then the data section; offsets are relative to the data section. Everything is checked before
 * any tensor is read: a crafted file gets a SafetensorsError naming the file and tensor, never an
 * allocation the size of its claims.
 */
import { readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { SafetensorsError } from '../errors.js';
import type { ErrorPlace } from '../errors.js';
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
    // ignoreBOM keeps a leading BOM in the text, so JSON.parse refuses it as the reference does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(json);
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
        // defineProperty, not assignment: a key "__proto__" must stay a plain entry.
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
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
  const dims: number[] = [];
  for (const d of shape as unknown[]) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new SafetensorsError(`shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`, place);
    }
    dims.push(d + 0); // + 0 turns a JSON -0 into 0
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
  if (!Number.isSafeInteger(expected)) throw new SafetensorsError(`shape ${JSON.stringify(shape)} is too large in bytes`, place);
  if (end - begin !== expected) {
    throw new SafetensorsError('byte length does not match shape × element size', {
      ...place,
      expected: `${expected} bytes (${JSON.stringify(shape)} × ${DTYPE_SIZES[dtype]})`,
      found: `${end - begin}`,
    });
  }
  return { name, dtype, shape: dims, begin, end };
}

/** An open safetensors file: the header is validated at open, tensors are read on demand. */
export class SafetensorsReader {
  private constructor(
    readonly file: string,
    readonly header: SafetensorsHeader,
    private readonly fh: FileHandle,
    private readonly byName: Map<string, TensorInfo>,
  ) {}

  private closed = false;

  static async open(file: string): Promise<SafetensorsReader> {
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (e) {
      throw new SafetensorsError(`cannot open file (${errorCode(e)})`, { file });
    }
    // From here on every failure must close the handle before it propagates.
    try {
      // fstat of the open handle, not stat of the path: the size we validate against is this file's.
      const st = await fh.stat().catch((e: unknown) => {
        throw new SafetensorsError(`cannot stat file (${errorCode(e)})`, { file });
      });
      if (!st.isFile()) throw new SafetensorsError('not a regular file', { file });
      const size = st.size;
      const prefix = readExactly(fh, 0, Math.min(8, size), { file });
      const n = parseHeaderLength(prefix, size, file);
      const header = parseHeader(readExactly(fh, 8, n, { file }), size - 8 - n, file);
      return new SafetensorsReader(file, header, fh, new Map(header.tensors.map((t) => [t.name, t])));
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  get names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  info(name: string): TensorInfo | undefined {
    return this.byName.get(name);
  }

  /** Tensor `name`'s entry and its place for errors; refuses an unknown name or a closed file. */
  private entry(name: string): { t: TensorInfo; place: ErrorPlace } {
    const place = { file: this.file, tensor: name };
    const t = this.byName.get(name);
    if (!t) throw new SafetensorsError('no such tensor in the file', place);
    if (this.closed) throw new SafetensorsError('read after the file was closed', place);
    return { t, place };
  }

  async read(name: string): Promise<Tensor> {
    const { t, place } = this.entry(name);
    // t.end <= data section size was checked at open, so this allocation is bounded by the file size.
    const bytes = readExactly(this.fh, this.header.dataStart + t.begin, t.end - t.begin, place);
    // `bytes` was read for this tensor alone: its buffer becomes the tensor's data where it can.
    return { dtype: t.dtype, shape: [...t.shape], data: decode(bytes, t.dtype, place, true) };
  }

  /**
   * Reads tensor `name`'s stored bytes into `dest`, which must hold exactly that many, in one
   * synchronous read: `dest` may be a view of memory that any allocation could detach, such as a
   * wasm backend's heap, so nothing else may run between the read's start and end.
   */
  readIntoSync(name: string, dest: Uint8Array): void {
    const { t, place } = this.entry(name);
    const length = t.end - t.begin;
    if (dest.byteLength !== length) throw new SafetensorsError(`destination holds ${dest.byteLength} bytes, the tensor ${length}`, place);
    fillExactly(this.fh, dest, this.header.dataStart + t.begin, place);
  }

  async readAll(): Promise<Map<string, Tensor>> {
    const out = new Map<string, Tensor>();
    for (const t of this.header.tensors) out.set(t.name, await this.read(t.name));
    return out;
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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

/** Reads `length` bytes at `position`; a short file or an I/O error is a SafetensorsError at `place`. */
function readExactly(fh: FileHandle, position: number, length: number, place: ErrorPlace): Uint8Array {
  const buf = new Uint8Array(length);
  fillExactly(fh, buf, position, place);
  return buf;
}

/**
 * Fills `dest` with the bytes at `position`, synchronously (the caller may hand in a view of
 * memory that any allocation could detach); a short file or an I/O error is a SafetensorsError.
 */
function fillExactly(fh: FileHandle, dest: Uint8Array, position: number, place: ErrorPlace): void {
  const length = dest.byteLength;
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      bytesRead = readSync(fh.fd, dest, done, length - done, position + done);
    } catch (e) {
      throw new SafetensorsError(`cannot read ${length} bytes at offset ${position} (${errorCode(e)})`, place);
    }
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  if (done !== length) {
    throw new SafetensorsError(`file ended after ${done} of ${length} bytes at offset ${position} (was it truncated?)`, place);
  }
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}
