/**
 * The API's request bodies, checked: each parser takes the parsed JSON and returns a typed
 * request, or throws a RequestError (a 400 with a one-line message naming the field) before any
 * job is queued. Masks are checked against the model by the one mask parser (model/masks.ts).
 */
import { BASELINES } from '../attribution/baselines.js';
import type { BaselineKind } from '../attribution/baselines.js';
import { NIG_DEFAULTS, NIG_RULES } from '../attribution/nig.js';
import type { NigRule } from '../attribution/nig.js';
import { CelensError } from '../errors.js';
import { isJsonObject } from '../formats/json.js';
import { emptyMasks, parseMasks } from '../model/masks.js';
import type { Masks } from '../model/masks.js';
import type { BertConfig } from '../weights/config.js';
import type { ServeLimits } from './page/api-types.js';

/** A request the server refuses, with its HTTP status (400 unless said otherwise). */
export class RequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const SERVE_LIMITS: ServeLimits = { maxBodyBytes: 1 << 20, maxPassages: 200, maxSteps: 1000, maxTop: 64, maxQueue: 8 };

/** Top neurons per layer an attribution answer carries unless asked otherwise. */
export const DEFAULT_TOP = 16;

export interface PassagesJob {
  query: string;
  passages: string[];
  masks: Masks;
}

export interface AttributeJob {
  query: string;
  passage: string;
  steps: number;
  baseline: BaselineKind;
  rule: NigRule;
  top: number;
  masks: Masks;
}

export interface AttentionJob {
  query: string;
  passage: string;
  layer: number;
  head: number;
  masks: Masks;
}

type Obj = Record<string, unknown>;

function object(raw: unknown, fields: readonly string[]): Obj {
  if (!isJsonObject(raw)) throw new RequestError('the body must be a JSON object');
  const unknown = Object.keys(raw).filter((k) => !fields.includes(k));
  if (unknown.length > 0) throw new RequestError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')} (this endpoint takes ${fields.join(', ')})`);
  return raw as Obj;
}

function text(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new RequestError(`"${key}" must be a string`);
  if (v.trim() === '') throw new RequestError(`"${key}" is empty`);
  return v;
}

function integer(o: Obj, key: string, lo: number, hi: number, fallback?: number): number {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new RequestError(`"${key}" must be an integer from ${lo} to ${hi}${v === undefined ? '' : `, got ${JSON.stringify(v)}`}`);
  return v;
}

function choice<T extends string>(o: Obj, key: string, choices: readonly T[], fallback: T): T {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) throw new RequestError(`"${key}" must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** `mask` as mask JSON, checked against the model (a SiteError's message becomes the 400's). */
function mask(o: Obj, config: BertConfig): Masks {
  const v = o['mask'];
  if (v === undefined || v === null) return emptyMasks(config);
  try {
    return parseMasks(v, config, 'mask');
  } catch (e) {
    if (e instanceof CelensError) throw new RequestError(e.message);
    throw e;
  }
}

function passages(o: Obj, limits: ServeLimits): string[] {
  const v = o['passages'];
  if (!Array.isArray(v)) throw new RequestError('"passages" must be a list of strings');
  if (v.length === 0) throw new RequestError('"passages" is empty: give at least one passage');
  if (v.length > limits.maxPassages) throw new RequestError(`too many passages: ${v.length}, this server takes at most ${limits.maxPassages} per request`);
  v.forEach((p: unknown, i) => {
    if (typeof p !== 'string') throw new RequestError(`passages[${i}] must be a string`);
    if (p.trim() === '') throw new RequestError(`passages[${i}] is empty`);
  });
  return v as string[];
}

/** `POST /api/score` and `POST /api/rerank`: {query, passages, mask?}. */
export function parsePassagesRequest(raw: unknown, config: BertConfig, limits: ServeLimits): PassagesJob {
  const o = object(raw, ['query', 'passages', 'mask']);
  return { query: text(o, 'query'), passages: passages(o, limits), masks: mask(o, config) };
}

/** `POST /api/attribute`: {query, passage, steps?, baseline?, rule?, top?, mask?}. */
export function parseAttributeRequest(raw: unknown, config: BertConfig, limits: ServeLimits): AttributeJob {
  const o = object(raw, ['query', 'passage', 'steps', 'baseline', 'rule', 'top', 'mask']);
  const width = Math.min(...config.intermediateSizes);
  return {
    query: text(o, 'query'),
    passage: text(o, 'passage'),
    steps: integer(o, 'steps', 2, limits.maxSteps, NIG_DEFAULTS.steps),
    baseline: choice(o, 'baseline', BASELINES, NIG_DEFAULTS.baseline),
    rule: choice(o, 'rule', NIG_RULES, NIG_DEFAULTS.rule),
    top: integer(o, 'top', 1, Math.min(limits.maxTop, width), Math.min(DEFAULT_TOP, width)),
    masks: mask(o, config),
  };
}

/** `POST /api/attention`: {query, passage, layer, head, mask?}. */
export function parseAttentionRequest(raw: unknown, config: BertConfig): AttentionJob {
  const o = object(raw, ['query', 'passage', 'layer', 'head', 'mask']);
  return {
    query: text(o, 'query'),
    passage: text(o, 'passage'),
    layer: integer(o, 'layer', 0, config.numLayers - 1),
    head: integer(o, 'head', 0, config.numHeads - 1),
    masks: mask(o, config),
  };
}
