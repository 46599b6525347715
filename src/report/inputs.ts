/**
 * The report's inputs, read without changing them and checked field by field, every problem a
 * CelensError naming file and line:
 *   - a pruning sweep (pruning/journal.ts): header `{"celens":"prune",…}`, then one row per cell;
 *     baseline rows (`unpruned`, `first-stage`, `random-ranking`) have no budget;
 *   - neuron sets: mask JSON `{"layer.3.ffn": [12, 40], …}`, and beside it an optional
 *     `<name>.meta.json` (from `celens neurons --out`) whose `set` names the set in legends.
 * Attribution journals are read by analysis/aggregate.ts, which checks them the same way.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { CelensError } from '../errors.js';
import { jsonErrorOffset, lineAt } from './json-place.js';
import { MASK_TARGET_KINDS } from '../model/masks.js';
import { parseLayerName, unitOf } from '../model/sites.js';

/** Baseline rows of a sweep: the model unpruned, the first-stage run, randomly ordered candidates. */
export const BASELINE_STRATEGIES = ['unpruned', 'first-stage', 'random-ranking'] as const;
export type BaselineStrategy = (typeof BASELINE_STRATEGIES)[number];

/** One pruning cell, as much of a sweep row as the figures use. */
export interface SweepCell {
  line: number;
  strategy: string;
  unit: string;
  ablation: string | null;
  /** Share of all units removed. */
  budget: number;
  seed?: number;
  metrics: Record<string, number>;
}

export interface SweepBaseline {
  line: number;
  strategy: BaselineStrategy;
  metrics: Record<string, number>;
}

export interface SweepInput {
  file: string;
  /** The header's `collection` and `model`, for captions. */
  collection: string;
  model: string;
  cells: SweepCell[];
  baselines: SweepBaseline[];
}

export async function readSweepInput(file: string): Promise<SweepInput> {
  const out: SweepInput = { file, collection: '', model: '', cells: [], baselines: [] };
  let first = true;
  // A sweep still running may end in the half-written line of the cell in flight: left out.
  const whole = await readText(file);
  const lines = whole.slice(0, whole.lastIndexOf('\n') + 1).split('\n');
  for (const [i, text] of lines.entries()) {
    const line = i + 1;
    if (text.trim() === '') continue;
    const bad = (what: string): never => {
      throw new CelensError(what, { file, line });
    };
    const o = parseObject(text, file, line);
    if (first) {
      first = false;
      if (o.celens !== 'prune') bad('not a celens prune sweep (its first line is no {"celens":"prune",…} header)');
      out.collection = typeof o.collection === 'string' ? o.collection : '';
      out.model = typeof o.model === 'string' ? o.model : '';
      continue;
    }
    if (typeof o.strategy !== 'string' || o.strategy === '') bad('a sweep row needs a "strategy"');
    const strategy = o.strategy as string;
    const metrics = checkMetrics(o.metrics, bad);
    if ((BASELINE_STRATEGIES as readonly string[]).includes(strategy)) {
      out.baselines.push({ line, strategy: strategy as BaselineStrategy, metrics });
      continue;
    }
    const budget = o.budget;
    if (typeof budget !== 'number' || !Number.isFinite(budget) || budget < 0 || budget > 1) {
      bad(`cell "${strategy}": "budget" must be a share of units in [0, 1] (found ${JSON.stringify(budget)})`);
    }
    const seed = o.seed;
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) bad(`"seed" must be an integer (found ${JSON.stringify(seed)})`);
    if (o.ablation !== undefined && o.ablation !== null && typeof o.ablation !== 'string') bad('"ablation" must be a string or null');
    out.cells.push({
      line,
      strategy,
      unit: typeof o.unit === 'string' ? o.unit : 'neurons',
      ablation: typeof o.ablation === 'string' ? o.ablation : null,
      budget: budget as number,
      ...(typeof seed === 'number' && { seed }),
      metrics,
    });
  }
  if (first) throw new CelensError('empty file: no sweep header', { file });
  return out;
}

function checkMetrics(raw: unknown, bad: (what: string) => never): Record<string, number> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('a sweep row needs "metrics": {"nDCG@10": …, …}');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(`metric ${k} is not a finite number (${JSON.stringify(v)})`);
    out[k] = v as number;
  }
  return out;
}

function parseObject(text: string, file: string, line: number): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CelensError('not a JSON line', { file, line });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CelensError('expected a JSON object', { file, line });
  return v as Record<string, unknown>;
}

/** A set of FFN neurons: per layer, sorted distinct indices. */
export interface NeuronSetInput {
  file: string;
  /** Legend name: the meta file's `set` (or `name`, `label`), else the file name without `.json`. */
  name: string;
  layers: number[][];
}

/** Reads a mask JSON as a neuron set (attention-head entries are left out: they are not neurons). */
export async function readNeuronSetInput(file: string): Promise<NeuronSetInput> {
  const text = await readText(file);
  const raw = parseJson(text, file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CelensError('a neuron set is a mask JSON object like {"layer.0.ffn": [1, 5]}', { file, line: 1 });
  }
  const layers: number[][] = [];
  for (const [key, list] of Object.entries(raw as Record<string, unknown>)) {
    const line = lineOf(text, `"${key}"`);
    // The mask keys of model/masks.ts, parsed by the one site-name parser (no model here: layers are bounded by MAX_LAYERS).
    const p = parseLayerName(key, { accept: MASK_TARGET_KINDS, what: 'mask target', place: { file, line } });
    if (unitOf(p.kind) !== 'neurons') continue;
    if (!Array.isArray(list)) throw new CelensError(`'${key}' must be a list of neuron indices`, { file, line });
    const bad = list.find((i: unknown) => typeof i !== 'number' || !Number.isInteger(i) || i < 0);
    if (bad !== undefined) throw new CelensError(`'${key}': ${JSON.stringify(bad)} is not a neuron index`, { file, line });
    const l = p.layer;
    while (layers.length <= l) layers.push([]);
    layers[l] = [...new Set([...(layers[l] as number[]), ...(list as number[])])].sort((a, b) => a - b);
  }
  const meta = await readMeta(file);
  while (layers.length < (meta.layers ?? 0)) layers.push([]);
  return { file, name: meta.name ?? basename(file).replace(/\.json$/, ''), layers };
}

/**
 * `x.json` → `x.meta.json` (analysis/neuron-report.ts writes it), when that file exists: the set's
 * name (`set`, or `name`/`label`) and the model's layer count (the length of `perLayer`).
 */
async function readMeta(file: string): Promise<{ name?: string; layers?: number }> {
  const metaFile = file.endsWith('.json') ? `${file.slice(0, -'.json'.length)}.meta.json` : `${file}.meta.json`;
  let text: string;
  try {
    text = await readFile(metaFile, 'utf8');
  } catch {
    return {};
  }
  const meta = parseJson(text, metaFile);
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new CelensError('expected a JSON object', { file: metaFile, line: 1 });
  const o = meta as Record<string, unknown>;
  const name = [o.set, o.name, o.label].find((v): v is string => typeof v === 'string' && v !== '');
  return { ...(name !== undefined && { name }), ...(Array.isArray(o.perLayer) && { layers: o.perLayer.length }) };
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new CelensError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
}

/** JSON.parse; a syntax error names its line. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const at = jsonErrorOffset(text);
    throw new CelensError(`not valid JSON (${(e as Error).message.replace(/\s+/g, ' ')})`, { file, line: lineAt(text, at < 0 ? 0 : at) });
  }
}

/** 1-based line of the first occurrence of `needle` (1 when absent). */
function lineOf(text: string, needle: string): number {
  return lineAt(text, Math.max(0, text.indexOf(needle)));
}
