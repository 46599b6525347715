/**
 * What the attribution pool and its worker threads say to each other, and how errors and results
 * cross the thread boundary. Shared by pool-workers.ts (main thread) and worker.ts.
 */
import * as errors from '../errors.js';
import type { BackendName } from '../backend/select.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';
import type { AttributeOptions } from '../attribution/attribute.js';
import type { Activation } from '../model/score.js';
import type { Masks } from '../model/masks.js';
import type { PairAttribution } from '../attribution/summary.js';

/**
 * Given once, as `workerData`: the model a worker loads as it starts. The work comes later with
 * each task, so a pool can be started (and its model copies loaded) before the job is known.
 */
export interface WorkerInit {
  modelDir: string;
  backend: BackendName | undefined;
}

/**
 * Main → worker: one group, unpadded (the worker pads with its model's [PAD] id), and what to do
 * with it: `attribute` with these options, or `score` (one forward pass, scoreEncoded).
 */
export interface GroupTask {
  task: number;
  pairs: PairEncoding[];
  attribute?: AttributeOptions;
  score?: { activation: Activation; masks?: Masks | undefined };
}

/** An error as plain data: structured clone keeps neither the class nor CelensError's fields. */
export interface WireError {
  name: string;
  message: string;
  stack?: string | undefined;
  place: errors.ErrorPlace;
}

/** Worker → main. */
export type WorkerReply<R = PairAttribution> = { type: 'result'; task: number; results: R[] } | { type: 'error'; task: number; error: WireError };

const PLACE_KEYS = ['file', 'line', 'tensor', 'expected', 'found'] as const;

export function toWire(e: unknown): WireError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e), place: {} };
  const place: errors.ErrorPlace = {};
  const src = e as Error & errors.ErrorPlace;
  for (const k of PLACE_KEYS) if (src[k] !== undefined) Object.assign(place, { [k]: src[k] });
  return { name: e.name, message: e.message, stack: e.stack, place };
}

/** The CelensError subclasses by name, so a worker's ShapeError is a ShapeError here too. */
const CELENS: Record<string, new (message: string) => errors.CelensError> = {
  CelensError: errors.CelensError,
  SafetensorsError: errors.SafetensorsError,
  ConfigError: errors.ConfigError,
  WeightsError: errors.WeightsError,
  ShapeError: errors.ShapeError,
  SiteError: errors.SiteError,
  TokenizerError: errors.TokenizerError,
  TrecFormatError: errors.TrecFormatError,
  BackendError: errors.BackendError,
  UsageError: errors.UsageError,
};

const BUILTIN: Record<string, new (message: string) => Error> = { TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** Rebuilds the error with its class and exact message (the message already holds the place). */
export function fromWire(w: WireError): Error {
  const Celens = CELENS[w.name];
  const Builtin = BUILTIN[w.name];
  const e = Celens ? new Celens(w.message) : Builtin ? new Builtin(w.message) : new Error(w.message);
  if (Celens) Object.assign(e, w.place);
  else if (!Builtin) e.name = w.name;
  // Keep the worker's stack, where the error really happened.
  if (w.stack !== undefined) e.stack = `${w.stack}\n    at (attribution worker thread)`;
  return e;
}

/**
 * Buffers to transfer rather than copy. Only arrays that own their whole buffer qualify: a view
 * into a larger (or wasm) buffer would hand over, or fail to detach, memory that is not ours.
 */
export function transferables(results: readonly PairAttribution[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: Float32Array | Float64Array): void => {
    if (a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  };
  for (const r of results) {
    for (const m of [r.sum, r.bySegment, r.perToken]) if (m) for (const a of m.values()) add(a);
    add(r.completeness);
    add(r.completenessRelative);
  }
  return [...out];
}
