/**
 * Unit scores: one number per FFN neuron or attention head of every layer, the input that
 * pruning strategies rank by. One JSON format for all of them:
 *
 *   {
 *     "site": "layer.{l}.ffn.pre",          // or "layer.{l}.ffn.post" (neurons), "layer.{l}.attn.heads" (heads)
 *     "statistic": "mean-nig",              // optional, free text: what the values are
 *     "pairs": 1000,                        // optional: how many pairs they were averaged over
 *     "values": { "layer.0": [I numbers], …, "layer.{L-1}": [I numbers] }
 *   }
 *
 * - relevance ranking (`--ranking`): the signed mean attribution per neuron (e.g. NIG summed over
 *   tokens, averaged over relevant pairs); `top` prunes the highest, `bottom` the most negative;
 * - non-relevance ranking (`--ranking-nonrel`): the same over non-relevant pairs;
 * - magnitude (`--magnitude`): mean |activation| per neuron over a reference set;
 * - head scores: the same with site `layer.{l}.attn.heads` and numHeads values per layer.
 * ffn.pre and ffn.post name the same neurons (GELU is element-wise), so both rank neurons.
 * Also read: the flat form of analysis/magnitudes.ts, `{"layer.0": […], …, "site": "ffn.post", …}`
 * (layer keys at the top; its site kinds `ffn.pre`, `ffn.post`, `attn.heads`; no site = neurons).
 */
import { createHash } from 'node:crypto';
import { SiteError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import { readJsonFile } from '../formats/json.js';
import type { BertConfig } from '../weights/config.js';
import { matchSiteName, nameTemplate, parseLayerName, templateKind, unitOf } from '../model/sites.js';
import type { LayerNameKind, Unit } from '../model/sites.js';

export type { Unit };
export const UNITS: readonly Unit[] = ['neurons', 'heads'];

export type ScoreSite = 'layer.{l}.ffn.pre' | 'layer.{l}.ffn.post' | 'layer.{l}.attn.heads';
/** The site kinds a score file may name (parsed by model/sites.ts, the one parser of site and unit names). */
const SCORE_KINDS: readonly LayerNameKind[] = ['ffn.pre', 'ffn.post', 'attn.heads'];

/** A score per unit (FFN neuron or attention head) of every layer: a ranking for pruning strategies. */
export interface UnitScores {
  site: ScoreSite;
  unit: Unit;
  statistic?: string;
  pairs?: number;
  /** One array per layer, layer order. */
  values: Float64Array[];
  /** Where it was read from, for messages. */
  source: string;
}

/** How many units layer l has. */
export function unitsInLayer(c: Pick<BertConfig, 'intermediateSizes' | 'numHeads'>, unit: Unit, l: number): number {
  return unit === 'heads' ? c.numHeads : (c.intermediateSizes[l] as number);
}

/** Validates a parsed JSON object: every layer present, the right width, finite numbers only. */
export function parseUnitScores(raw: unknown, c: BertConfig, file = 'scores'): UnitScores {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SiteError(`${file}: expected a JSON object {"site": …, "values": {"layer.0": […], …}}`);
  let o = raw as Record<string, unknown>;
  if (o.values === undefined && Object.keys(o).some(isLayerKey)) o = fromFlat(o);
  const site = o.site;
  const kind = typeof site === 'string' ? templateKind(site) : undefined;
  const unit = kind !== undefined && SCORE_KINDS.includes(kind) ? unitOf(kind) : undefined;
  if (unit === undefined) {
    throw new SiteError(`${file}: "site" must be one of ${SCORE_KINDS.map(nameTemplate).join(', ')} (found ${JSON.stringify(site)})`);
  }
  if (typeof o.values !== 'object' || o.values === null || Array.isArray(o.values)) throw new SiteError(`${file}: "values" must be an object {"layer.0": […], …}`);
  const given = o.values as Record<string, unknown>;
  for (const k of Object.keys(given)) parseLayerName(k, { accept: ['layer'], config: c, what: 'values key', place: { file } });
  const values = Array.from({ length: c.numLayers }, (_v, l) => {
    const list = given[`layer.${l}`];
    const n = unitsInLayer(c, unit, l);
    if (!Array.isArray(list)) throw new SiteError(`${file}: values lacks 'layer.${l}' (a list of ${n} numbers)`);
    if (list.length !== n) throw new SiteError(`${file}: 'layer.${l}' has ${list.length} values, the model's layer ${l} has ${n} ${unit}`);
    const bad = list.findIndex((v: unknown) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new SiteError(`${file}: 'layer.${l}'[${bad}] is not a finite number (${JSON.stringify(list[bad])})`);
    return Float64Array.from(list as number[]);
  });
  const out: UnitScores = { site: site as ScoreSite, unit, values, source: file };
  if (typeof o.statistic === 'string') out.statistic = o.statistic;
  if (typeof o.pairs === 'number') out.pairs = o.pairs;
  return out;
}

/** A `layer.{l}` key (the per-layer name of the site vocabulary). */
function isLayerKey(k: string): boolean {
  return matchSiteName(k)?.kind === 'layer';
}

/** The flat form → the documented one (layer keys moved under `values`, short site kinds templated). */
function fromFlat(o: Record<string, unknown>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) (isLayerKey(k) ? values : rest)[k] = v;
  const site = rest.site === undefined ? 'layer.{l}.ffn.post' : typeof rest.site === 'string' && !rest.site.startsWith('layer.') ? `layer.{l}.${rest.site}` : rest.site;
  return { ...rest, site, values };
}

/** Reads and checks a ranking file (`{"site": …, "values": {"layer.0": […], …}}`) against the config. */
export async function readUnitScores(file: string, c: BertConfig): Promise<UnitScores> {
  return parseUnitScores(await readJsonFile(file, { error: SiteError }), c, file);
}

/** The JSON form (what `celens neurons` should emit). */
export function unitScoresToJson(s: Omit<UnitScores, 'unit' | 'source'>): Record<string, unknown> {
  return {
    site: s.site,
    ...(s.statistic !== undefined && { statistic: s.statistic }),
    ...(s.pairs !== undefined && { pairs: s.pairs }),
    values: Object.fromEntries(s.values.map((v, l) => [`layer.${l}`, Array.from(v)])),
  };
}

export async function writeUnitScores(file: string, s: Omit<UnitScores, 'unit' | 'source'>): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(unitScoresToJson(s))}\n`);
}

/** A short content hash, so a sweep journal cannot be resumed with other scores. */
export function scoresFingerprint(s: UnitScores): string {
  const h = createHash('sha256').update(s.site);
  for (const v of s.values) h.update(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  return h.digest('hex').slice(0, 16);
}
