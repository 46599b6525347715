/**
 * Activation magnitudes, for the `magnitude:P` selector: a baseline that picks neurons by how
 * strongly they fire, with no attribution, to show what attribution adds. The file (made by an
 * activation-statistics producer, or by hand) is one JSON object:
 *
 *   { "layer.0": [0.12, 0.03, …], "layer.1": […], …,            ← data: mean |activation| per neuron
 *     "celens": "activations", "site": "ffn.post", "statistic": "mean-abs", "pairs": 1000 }
 *                                                               ← optional metadata, kept as is
 *
 * Keys `layer.{l}` hold one finite, non-negative number per neuron of layer l (as many as the
 * attribution records hold for that layer); every layer of the records must be there. Other keys
 * are metadata, copied into the set's meta file. `celens prune`'s means file (OUT.means.json) and
 * a unit-scores document with the same numbers under "values" are read too.
 */
import { CelensError } from '../errors.js';
import { isJsonObject as isObject, readJsonFile } from '../formats/json.js';
import type { LayerValues } from './aggregate.js';
import { matchSiteName } from '../model/sites.js';

export interface Magnitudes {
  values: LayerValues;
  /** The file's non-`layer.{l}` keys. */
  meta: Record<string, unknown>;
  file: string;
}

/**
 * The flat form of the other files that hold mean |activation| per neuron: `celens prune`'s means
 * file (OUT.means.json: its `mean_abs` document, with the file's model and reference as metadata)
 * and a unit-scores document (`{"site", "statistic", "values": {"layer.0": […]}}`).
 */
function flatten(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  let doc = raw;
  if (raw.celens === 'ffn-means') {
    if (!isObject(raw.mean_abs)) throw new CelensError('a celens ffn-means file without its mean_abs document', { file });
    const { mean_abs: meanAbs, mean: _mean, ...top } = raw;
    doc = { ...top, ...meanAbs, celens: 'activations' };
  }
  if (!isObject(doc.values)) return doc;
  const { values, ...meta } = doc;
  return { ...meta, ...values };
}

export function parseMagnitudes(raw: unknown, widths: readonly number[], file: string): Magnitudes {
  if (!isObject(raw)) throw new CelensError('activation magnitudes are a JSON object {"layer.0": [numbers], …}', { file });
  const values: LayerValues = widths.map(() => new Float64Array(0));
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flatten(raw, file))) {
    // `layer.{l}` keys (the site vocabulary's per-layer name) hold data; anything else is metadata.
    const m = matchSiteName(k);
    if (m?.kind !== 'layer') {
      meta[k] = v;
      continue;
    }
    const l = m.layer;
    const w = widths[l] ?? 0;
    if (w === 0) throw new CelensError(`'${k}': the attribution records have no layer ${l}`, { file });
    if (!Array.isArray(v) || v.length !== w) throw new CelensError(`'${k}' must be a list of ${w} numbers, one per neuron (found ${Array.isArray(v) ? `${v.length}` : typeof v})`, { file });
    const bad = (v as unknown[]).findIndex((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0);
    if (bad >= 0) throw new CelensError(`'${k}'[${bad}] is ${JSON.stringify(v[bad])}, not a mean |activation| (finite, >= 0)`, { file });
    values[l] = Float64Array.from(v as number[]);
  }
  const missing = widths.flatMap((w, l) => (w > 0 && values[l]?.length === 0 ? [`layer.${l}`] : []));
  if (missing.length > 0) throw new CelensError(`no values for ${missing.join(', ')}`, { file });
  return { values, meta, file };
}

export async function readMagnitudes(file: string, widths: readonly number[]): Promise<Magnitudes> {
  return parseMagnitudes(await readJsonFile(file), widths, file);
}
