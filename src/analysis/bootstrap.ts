/**
 * How stable a neuron set is under resampling of queries. Each replicate draws, per dataset, as
 * many queries as the dataset has, uniformly with replacement (a query drawn twice counts its pairs
 * twice; the unit is the query, because pairs of one query are not independent), recomputes the
 * per-dataset means from the drawn pairs and rebuilds every set by the same rule
 * (buildNeuronSets). Per set: the Jaccard index of each replicate's set with the full-data set
 * (mean, sd, 5% / 50% / 95% quantiles), the mean size, and each neuron's selection frequency — the
 * share of replicates whose set holds it — for the full set's neurons and for every other neuron
 * that any replicate picked. A record without `source.qid` is its own query.
 *
 * A replicate may draw no pair of a group a rule needs (say, only queries without relevant pairs
 * under `--from relevant`); it is counted as failed and left out of every figure.
 */
import { CelensError } from '../errors.js';
import type { Aggregation, DatasetAggregate, PairGroup } from './aggregate.js';
import { quantile } from './distribution.js';
import { buildNeuronSets } from './neuron-report.js';
import type { NeuronReport, NeuronSetsOptions } from './neuron-report.js';
import { overlap } from './overlap.js';
import { splitLayers } from './pair-table.js';
import type { PairTable } from './pair-table.js';
import { mulberry32 } from '../util/random.js';

export interface BootstrapOptions {
  /** Replicates (≥ 1). */
  replicates: number;
  seed: number;
}

export interface NeuronFrequency {
  layer: number;
  index: number;
  /** Share of the (successful) replicates whose set holds the neuron. */
  frequency: number;
  /** Whether the full-data set holds it. */
  inSet: boolean;
}

export interface SetStability {
  set: string;
  /** Replicates that made the set. */
  replicates: number;
  /** Replicates that could not (a group with no pairs drawn). */
  failed: number;
  jaccard: { mean: number; sd: number; q05: number; median: number; q95: number };
  meanSize: number;
  /** The full set's neurons in its order, then the others by frequency (highest first), ties by (layer, index). */
  frequencies: NeuronFrequency[];
}

const GROUPS: readonly PairGroup[] = ['all', 'relevant', 'nonrelevant'];

interface QueryUnit {
  sums: Record<PairGroup, Float64Array>;
  pairs: Record<PairGroup, number>;
}

/** Per dataset, its queries' summed rows per group (a query's pairs, in file order). */
function queryUnits(table: PairTable): QueryUnit[][] {
  const width = table.offsets[table.offsets.length - 1] as number;
  return table.datasets.map((d) => {
    const units = new Map<string, QueryUnit>();
    d.rows.forEach((row, i) => {
      const key = row.qid === undefined ? `\u0000pair ${i}` : `q ${row.qid}`;
      let u = units.get(key);
      if (!u) {
        u = { sums: { all: new Float64Array(width), relevant: new Float64Array(width), nonrelevant: new Float64Array(width) }, pairs: { all: 0, relevant: 0, nonrelevant: 0 } };
        units.set(key, u);
      }
      const groups: PairGroup[] = ['all'];
      if (row.relevant !== undefined) groups.push(row.relevant ? 'relevant' : 'nonrelevant');
      for (const g of groups) {
        u.pairs[g]++;
        const s = u.sums[g];
        for (let j = 0; j < width; j++) s[j] = (s[j] as number) + (row.values[j] as number);
      }
    });
    return [...units.values()];
  });
}

/** Rebuilds every attribution set on `replicates` query resamples and compares each with the report's set of the same name. */
export function bootstrapSets(report: NeuronReport, table: PairTable, options: NeuronSetsOptions, o: BootstrapOptions): SetStability[] {
  if (!Number.isInteger(o.replicates) || o.replicates < 1) throw new CelensError(`bootstrap replicates must be an integer >= 1, got ${o.replicates}`);
  const agg = report.aggregation;
  if (table.datasets.map((d) => d.dataset).join('\n') !== agg.datasets.map((d) => d.dataset).join('\n')) throw new CelensError('the pair table and the aggregation hold other datasets');
  const width = table.offsets[table.offsets.length - 1] as number;
  const units = queryUnits(table);
  // Magnitude sets use no pairs: resampling cannot move them.
  const full = report.sets.filter((s) => s.kind !== 'magnitude');
  const opts: NeuronSetsOptions = { ...options, selectors: (options.selectors ?? []).filter((s) => s.kind !== 'magnitude') };
  delete opts.magnitudes;
  const jaccards = full.map((): number[] => []);
  const sizes = full.map(() => 0);
  const counts = full.map(() => new Map<string, number>());
  let failed = 0;
  const rng = mulberry32(o.seed);
  for (let b = 0; b < o.replicates; b++) {
    const datasets = agg.datasets.map((d, di): DatasetAggregate => {
      const us = units[di] as QueryUnit[];
      const sums = { all: new Float64Array(width), relevant: new Float64Array(width), nonrelevant: new Float64Array(width) };
      const pairs = { all: 0, relevant: 0, nonrelevant: 0 };
      for (let k = 0; k < us.length; k++) {
        const u = us[Math.floor(rng() * us.length)] as QueryUnit;
        for (const g of GROUPS) {
          pairs[g] += u.pairs[g];
          const into = sums[g];
          const from = u.sums[g];
          for (let j = 0; j < width; j++) into[j] = (into[j] as number) + (from[j] as number);
        }
      }
      const mean = (g: PairGroup): { pairs: number; mean: Float64Array[] } => ({ pairs: pairs[g], mean: splitLayers(pairs[g] === 0 ? sums[g] : sums[g].map((x) => x / pairs[g]), table.offsets) });
      return { dataset: d.dataset, files: d.files, groups: { all: mean('all'), relevant: mean('relevant'), nonrelevant: mean('nonrelevant') } };
    });
    const replicate: Aggregation = { ...agg, datasets };
    let sets;
    try {
      sets = buildNeuronSets(replicate, opts).sets;
    } catch (e) {
      if (!(e instanceof CelensError)) throw e;
      failed++;
      continue;
    }
    const byName = new Map(sets.map((s) => [s.name, s]));
    full.forEach((f, i) => {
      const s = byName.get(f.name);
      if (!s) throw new CelensError(`replicate ${b + 1} made no set ${f.name}`);
      jaccards[i]?.push(overlap(f, s).jaccard);
      sizes[i] = (sizes[i] as number) + s.neurons.length;
      const c = counts[i] as Map<string, number>;
      for (const n of s.neurons) c.set(`${n.layer}.${n.index}`, (c.get(`${n.layer}.${n.index}`) ?? 0) + 1);
    });
  }
  const made = o.replicates - failed;
  return full.map((f, i): SetStability => {
    const js = jaccards[i] as number[];
    const c = counts[i] as Map<string, number>;
    const freq = (k: string): number => (made === 0 ? 0 : (c.get(k) ?? 0) / made);
    const inSet = new Set(f.neurons.map((n) => `${n.layer}.${n.index}`));
    const others = [...c.keys()]
      .filter((k) => !inSet.has(k))
      .map((k): NeuronFrequency => {
        const [layer, index] = k.split('.').map(Number) as [number, number];
        return { layer, index, frequency: freq(k), inSet: false };
      })
      .sort((a, b) => b.frequency - a.frequency || a.layer - b.layer || a.index - b.index);
    const sorted = Float64Array.from(js).sort();
    const mean = js.reduce((a, x) => a + x, 0) / js.length;
    const sd = js.length < 2 ? 0 : Math.sqrt(js.reduce((a, x) => a + (x - mean) ** 2, 0) / (js.length - 1));
    return {
      set: f.name,
      replicates: made,
      failed,
      jaccard: { mean, sd, q05: quantile(sorted, 0.05), median: quantile(sorted, 0.5), q95: quantile(sorted, 0.95) },
      meanSize: made === 0 ? Number.NaN : (sizes[i] as number) / made,
      frequencies: [...f.neurons.map((n): NeuronFrequency => ({ layer: n.layer, index: n.index, frequency: freq(`${n.layer}.${n.index}`), inSet: true })), ...others],
    };
  });
}
