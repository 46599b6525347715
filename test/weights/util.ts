/** Helpers for the weights tests: temp folders, hand-crafted safetensors files, error checks. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SafetensorsError } from '../../src/errors.js';

export const FIXTURE = resolve(process.cwd(), '../shared/fixtures/tiny-bert-ce');
export const fixture = (name: string): string => join(FIXTURE, name);

const made: string[] = [];

/** A fresh folder under os.tmpdir(); removed by cleanupTempDirs(). */
export async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'celens-weights-'));
  made.push(d);
  return d;
}

export async function cleanupTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export interface Crafted {
  /** The header: a JS value is JSON.stringify'd, a string or bytes are used as they are. */
  header: unknown;
  data?: Uint8Array | number;
  /** Overrides the 8-byte length prefix (default: the header's byte length). */
  length?: bigint;
}

export function headerBytes(header: unknown): Uint8Array {
  if (header instanceof Uint8Array) return header;
  return new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
}

/** Writes prefix + header + data to dir/name and returns the path. `data` as a number: that many zero bytes. */
export async function craft(dir: string, name: string, c: Crafted): Promise<string> {
  const h = headerBytes(c.header);
  const data = typeof c.data === 'number' ? new Uint8Array(c.data) : (c.data ?? new Uint8Array(0));
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, c.length ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  const file = join(dir, name);
  await writeFile(file, out);
  return file;
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `^file: tensor 'name': ` + rest, as a RegExp (rest is a regex source). */
export function at(file: string, tensor: string | undefined, rest: string): RegExp {
  const t = tensor === undefined ? '' : `tensor '${escapeRe(tensor)}': `;
  return new RegExp(`^${escapeRe(file)}: ${t}${rest}`);
}

/** The call rejects with `cls` and a message matching `re` (checked with toThrow). */
export async function expectReject(call: () => Promise<unknown>, re: RegExp, cls: new (...a: never[]) => Error = SafetensorsError): Promise<void> {
  await expect(call()).rejects.toBeInstanceOf(cls);
  await expect(call()).rejects.toThrow(re);
}

/** Raw little-endian bytes of a typed array (for bit-exact comparisons). */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function expectSameBytes(a: ArrayBufferView, b: ArrayBufferView): void {
  const x = bytesOf(a);
  const y = bytesOf(b);
  expect(x.byteLength).toBe(y.byteLength);
  // Buffer.equals is fast; on failure report the first differing byte for a useful message.
  if (!Buffer.from(x).equals(Buffer.from(y))) {
    const i = x.findIndex((v, k) => v !== y[k]);
    throw new Error(`bytes differ first at ${i}: ${x[i]} vs ${y[i]}`);
  }
}
