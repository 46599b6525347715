/**
 * The report's inputs, read without changing them and checked field by field, every problem a
 * CelensError naming file and line:
 *   - a pruning sweep, read by pruning's own reader (readSweepLines): header `{"celens":"prune",…}`,
 *     then one row per cell; baseline rows (`unpruned`, `first-stage`, `random-ranking`) have no
 *     budget. Here each row is checked for what the figures draw;
 *   - neuron sets: mask JSON `{"layer.3.ffn": [12, 40], …}`, parsed by model/masks.ts (parseMaskJson),
 *     and beside it an optional `<name>.meta.json` (from `celens neurons --out`) whose `set` names
 *     the set in legends.
 * Attribution journals are read by analysis/aggregate.ts, which checks them the same way.
 */
import { basename } from 'node:path';
import { CelensError } from '../errors.js';
import { readText, readTextIfExists } from '../formats/files.js';
import { tornNote } from '../formats/journal.js';
import { isJsonObject, parseJson } from '../formats/json.js';
import { parseMaskJson } from '../model/masks.js';
import { readSweepLines } from '../pruning/journal.js';

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

/** A sweep for the figures; a torn last line (a sweep still running) is left out, with a note to `warn`. */
export async function readSweepInput(file: string, warn?: (message: string) => void): Promise<SweepInput> {
  const { header, rows } = await readSweepLines(file, (t) => warn?.(tornNote(file, t)));
  const out: SweepInput = { file, collection: typeof header.collection === 'string' ? header.collection : '', model: typeof header.model === 'string' ? header.model : '', cells: [], baselines: [] };
  for (const { line, row: o } of rows) {
    const bad = (what: string): never => {
      throw new CelensError(what, { file, line });
    };
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
  // No model here: layers are bounded by MAX_LAYERS, indices need only be neuron indices.
  const entries = parseMaskJson(parseJson(text, file), { file, text });
  const layers: number[][] = [];
  for (const e of entries) {
    if (e.unit !== 'neurons') continue;
    while (layers.length <= e.layer) layers.push([]);
    layers[e.layer] = [...new Set([...(layers[e.layer] as number[]), ...e.indices])].sort((a, b) => a - b);
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
  const text = await readTextIfExists(metaFile);
  if (text === undefined) return {};
  const meta = parseJson(text, metaFile);
  if (!isJsonObject(meta)) throw new CelensError('expected a JSON object', { file: metaFile, line: 1 });
  const name = [meta.set, meta.name, meta.label].find((v): v is string => typeof v === 'string' && v !== '');
  return { ...(name !== undefined && { name }), ...(Array.isArray(meta.perLayer) && { layers: meta.perLayer.length }) };
}
