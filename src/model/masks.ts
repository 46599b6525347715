/**
 * Masks, the pruning primitive: `{"layer.0.ffn": [1,5,7], "layer.2.attn.heads": [3]}` zeroes FFN
 * neurons (after the activation, as HF's prune_linear_layer removes them) and attention heads
 * (multiplying the attention probabilities, as HF's head_mask does). Keys are unit names of the
 * site vocabulary (model/sites.ts): FFN neurons as `layer.{l}.ffn` (the spelling masks are written
 * in), `layer.{l}.ffn.pre` or `layer.{l}.ffn.post` (the same neurons), heads as `layer.{l}.attn.heads`.
 */
import { readFile } from 'node:fs/promises';
import { SiteError } from '../errors.js';
import type { BertConfig } from '../weights/config.js';
import { parseLayerName, unitOf } from './sites.js';
import type { LayerNameKind } from './sites.js';

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

/** Validates a parsed mask JSON object against the config. `file` names the source in errors. */
export function parseMasks(raw: unknown, c: BertConfig, file = 'mask'): Masks {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SiteError(`${file}: a mask is a JSON object like {"layer.0.ffn": [1, 5], "layer.2.attn.heads": [3]}`);
  }
  const masks = emptyMasks(c);
  for (const [target, list] of Object.entries(raw as Record<string, unknown>)) {
    const p = parseLayerName(target, { accept: MASK_TARGET_KINDS, config: c, what: 'mask target', place: { file } });
    const layer = p.layer;
    const isFfn = unitOf(p.kind) === 'neurons';
    const size = isFfn ? (c.intermediateSizes[layer] as number) : c.numHeads;
    if (!Array.isArray(list)) throw new SiteError(`${file}: '${target}' must be a list of indices`);
    const seen = new Set<number>();
    for (const i of list as unknown[]) {
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= size) {
        throw new SiteError(`${file}: '${target}': index ${JSON.stringify(i)} is out of range 0…${size - 1}`);
      }
      seen.add(i);
    }
    const entry = masks[layer] as LayerMask;
    const merged = [...new Set([...(isFfn ? entry.ffn : entry.heads), ...seen])].sort((a, b) => a - b);
    if (isFfn) entry.ffn = merged;
    else entry.heads = merged;
  }
  return masks;
}

/** Reads and checks a mask JSON file (`{"layer.0.ffn": [1, 5], "layer.2.attn.heads": [3]}`) against the config. */
export async function readMasks(file: string, c: BertConfig): Promise<Masks> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new SiteError(`${file}: cannot read mask (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SiteError(`${file}: mask is not valid JSON (${(e as Error).message})`);
  }
  return parseMasks(raw, c, file);
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
