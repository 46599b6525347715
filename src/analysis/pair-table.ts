/**
 * Every pair's per-neuron values in memory, per dataset, with its query and relevance: what the
 * contrast permutation test (permutation.ts) and the bootstrap over queries (bootstrap.ts) need,
 * and what aggregate.ts deliberately does not keep. The values are those aggregateFiles averages
 * (same site, segment and normalization, by the same pairValues), one flat row per pair: layer 0's
 * neurons, then layer 1's, … (`offsets[l]` is where layer l starts). Memory: pairs × neurons × 8
 * bytes (1,000 pairs of BERT-base's 36,864 FFN neurons: 295 MB).
 */
import { CelensError } from '../errors.js';
import type { Aggregation, LayerValues } from './aggregate.js';
import { datasetOf, pairValues } from './aggregate.js';
import { openAttribution } from './read-records.js';

export interface PairRow {
  /** The record's `source.qid`; undefined without a source. */
  qid: string | undefined;
  /** The record's `source.relevant`; undefined without a source. */
  relevant: boolean | undefined;
  /** All layers' values, concatenated. */
  values: Float64Array;
}

export interface DatasetPairs {
  dataset: string;
  rows: PairRow[];
}

export interface PairTable {
  widths: number[];
  /** offsets[l]: the first column of layer l; offsets[L]: the row length. */
  offsets: number[];
  /** In the aggregation's dataset order. */
  datasets: DatasetPairs[];
}

/** Reads the files again, keeping each pair's row; `agg` (from aggregateFiles over the same files) fixes site, segment, normalization and widths. */
export async function readPairTable(files: readonly string[], agg: Pick<Aggregation, 'site' | 'segment' | 'normalize' | 'widths' | 'datasets'>, warn?: (m: string) => void): Promise<PairTable> {
  const offsets = [0];
  for (const w of agg.widths) offsets.push((offsets[offsets.length - 1] as number) + w);
  const width = offsets[offsets.length - 1] as number;
  const byName = new Map(agg.datasets.map((d): [string, DatasetPairs] => [d.dataset, { dataset: d.dataset, rows: [] }]));
  for (const file of files) {
    const { records } = await openAttribution(file, { ...(warn && { warn }) });
    for await (const { record, line } of records) {
      const d = byName.get(datasetOf(record, file));
      if (!d) {
        await records.return(undefined);
        throw new CelensError(`dataset ${datasetOf(record, file)} is not among those aggregated (the file changed between reads?)`, { file, line });
      }
      const { values } = pairValues(record, agg.site, agg.segment, agg.normalize, agg.widths);
      const row = new Float64Array(width);
      values.forEach((v, l) => row.set(v, offsets[l] as number));
      d.rows.push({ qid: record.source?.qid, relevant: record.source?.relevant, values: row });
    }
  }
  return { widths: [...agg.widths], offsets, datasets: [...byName.values()] };
}

/** A flat row (or any vector laid out as the table's rows) split back into layers. */
export function splitLayers(flat: Float64Array, offsets: readonly number[]): LayerValues {
  return offsets.slice(0, -1).map((o, l) => flat.slice(o, offsets[l + 1] as number));
}
