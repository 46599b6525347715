/**
 * Masks, the pruning primitive: `{"layer.0.ffn": [1,5,7], "layer.2.attn.heads": [3]}` zeroes FFN
 * neurons (after the activation, as HF's prune_linear_layer removes them) and attention heads
 * (multiplying the attention probabilities, as HF's head_mask does). Keys are unit names of the
 * site vocabulary (model/sites.ts): FFN neurons as `layer.{l}.ffn` (the spelling masks are written
 * in), `layer.{l}.ffn.pre` or `layer.{l}.ffn.post` (the same neurons), heads as `layer.{l}.attn.heads`.
 */
import { SiteError } from '../errors.js';
import { readText } from '../formats/files.js';
import { isJsonObject, parseJson } from '../formats/json.js';
import type { BertConfig } from '../weights/config.js';
import { parseLayerName, unitOf } from './sites.js';
import type { LayerNameKind, Unit } from './sites.js';

export type MaskTarget = `layer.${number}.ffn` | `layer.${number}.attn.heads`;

export interface LayerMask {
  /** FFN neuron indices to zero. */
  ffn: number[];
  /** Attention heads to zero. */
  heads: number[];
}

/** Validated masks, one entry per layer (empty lists where nothing is masked). */
export type Masks = LayerMask[];

/** Mask keys: the written spelling first (messages list them in this order). */
export const MASK_TARGET_KINDS: readonly LayerNameKind[] = ['ffn', 'attn.heads', 'ffn.pre', 'ffn.post'];

export function emptyMasks(c: Pick<BertConfig, 'numLayers'>): Masks {
  return Array.from({ length: c.numLayers }, () => ({ ffn: [], heads: [] }));
}

/** One entry of a mask JSON: its target as written, the layer, the units, the indices (distinct, ascending). */
export interface MaskEntry {
  target: string;
  layer: number;
  unit: Unit;
  indices: number[];
}

export interface MaskJsonOptions {
  /** Names the source in errors. @default 'mask' */
  file?: string;
  /** Bounds layers and indices by the model; without one (a report of sets from any model), layers are bounded by MAX_LAYERS and indices must be integers >= 0. */
  config?: BertConfig;
  /** The JSON text `raw` was parsed from: errors then name the line of the entry. */
  text?: string;
}

/**
 * The one parser of the mask JSON format, for `--mask` (parseMasks, against the model) and for the
 * report's neuron sets (report/inputs.ts, without a model). Errors are SiteErrors naming the file.
 */
export function parseMaskJson(raw: unknown, o: MaskJsonOptions = {}): MaskEntry[] {
  const file = o.file ?? 'mask';
  const c = o.config;
  if (!isJsonObject(raw)) {
    throw new SiteError('a mask is a JSON object like {"layer.0.ffn": [1, 5], "layer.2.attn.heads": [3]}', { file, ...(o.text !== undefined && { line: 1 }) });
  }
  const lineOf = o.text === undefined ? undefined : keyLines(o.text);
  return Object.entries(raw).map(([target, list]): MaskEntry => {
    const place = { file, ...(lineOf && { line: lineOf(target) }) };
    const p = parseLayerName(target, { accept: MASK_TARGET_KINDS, ...(c && { config: c }), what: 'mask target', place });
    const unit = unitOf(p.kind) as Unit;
    const word = unit === 'neurons' ? 'neuron' : 'head';
    const size = c === undefined ? undefined : unit === 'neurons' ? (c.intermediateSizes[p.layer] as number) : c.numHeads;
    if (!Array.isArray(list)) throw new SiteError(`'${target}' must be a list of ${word} indices`, place);
    for (const i of list as unknown[]) {
      if (typeof i === 'number' && Number.isInteger(i) && i >= 0 && (size === undefined || i < size)) continue;
      throw new SiteError(size === undefined ? `'${target}': ${JSON.stringify(i)} is not a ${word} index` : `'${target}': index ${JSON.stringify(i)} is out of range 0…${size - 1}`, place);
    }
    return { target, layer: p.layer, unit, indices: [...new Set(list as number[])].sort((a, b) => a - b) };
  });
}

/**
 * The line of each key, asked in the order the object lists them, which is the order of the text
 * (mask keys are not integers): one pass over the text for all keys, however large their lists.
 */
function keyLines(text: string): (key: string) => number {
  let at = 0;
  let line = 1;
  return (key) => {
    const found = text.indexOf(JSON.stringify(key), at);
    if (found < 0) return line;
    for (; at < found; at++) if (text.charCodeAt(at) === 10) line++;
    return line;
  };
}

/** Validates a parsed mask JSON object against the config. `file` names the source in errors. */
export function parseMasks(raw: unknown, c: BertConfig, file = 'mask'): Masks {
  return masksOf(parseMaskJson(raw, { file, config: c }), c);
}

/** Reads and checks a mask JSON file (`{"layer.0.ffn": [1, 5], "layer.2.attn.heads": [3]}`) against the config; errors name the line. */
export async function readMasks(file: string, c: BertConfig): Promise<Masks> {
  const text = await readText(file, { what: 'mask', error: SiteError });
  return masksOf(parseMaskJson(parseJson(text, file, { error: SiteError }), { file, config: c, text }), c);
}

/** Entries → one LayerMask per layer; entries naming the same units (`ffn`, `ffn.pre`, `ffn.post`) are merged. */
function masksOf(entries: readonly MaskEntry[], c: Pick<BertConfig, 'numLayers'>): Masks {
  const masks = emptyMasks(c);
  for (const e of entries) {
    const m = masks[e.layer] as LayerMask;
    const merged = [...new Set([...(e.unit === 'neurons' ? m.ffn : m.heads), ...e.indices])].sort((a, b) => a - b);
    if (e.unit === 'neurons') m.ffn = merged;
    else m.heads = merged;
  }
  return masks;
}

/** Back to the JSON form (only non-empty entries). */
export function masksToJson(m: Masks): Record<MaskTarget, number[]> {
  const out: Record<string, number[]> = {};
  m.forEach((l, i) => {
    if (l.ffn.length) out[`layer.${i}.ffn`] = [...l.ffn];
    if (l.heads.length) out[`layer.${i}.attn.heads`] = [...l.heads];
  });
  return out as Record<MaskTarget, number[]>;
}
