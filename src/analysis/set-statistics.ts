/**
 * Statistics on top of a NeuronReport, from every pair's values (pair-table.ts):
 *   - the contrast permutation test (permutation.ts) per dataset, and over all datasets together
 *     (labels permuted within each) for a fused set; p-values adjusted over all neurons of one test
 *     by Holm or Benjamini–Hochberg (stats/correction.ts). A dataset set's neurons get that dataset's
 *     p-values, a fused set's the joint test's, an intersection's the largest over its datasets
 *     (the intersection–union test: a neuron is declared in every dataset only if it is in each).
 *     A difference (OOD − IN) tests another hypothesis and gets none.
 *   - the bootstrap over queries (bootstrap.ts): each set's mean Jaccard with its replicates and
 *     each neuron's selection frequency.
 * Both draw from `seed`, each from its own generator, so either reproduces with or without the other.
 */
import { CelensError } from '../errors.js';
import type { LayerValues } from './aggregate.js';
import { bootstrapSets } from './bootstrap.js';
import type { SetStability } from './bootstrap.js';
import type { NeuronReport, NeuronSetsOptions } from './neuron-report.js';
import type { Neuron, NeuronSet } from './neuron-sets.js';
import { adjustPValues } from '../stats/correction.js';
import type { Correction } from '../stats/correction.js';
import { splitLayers } from './pair-table.js';
import type { PairTable } from './pair-table.js';
import { contrastPermutationTest } from './permutation.js';
import type { Stratum } from './permutation.js';

export interface SetStatisticsOptions {
  /** Label permutations of the contrast test; 0: no test. @default 0 */
  permutations?: number;
  /** Bootstrap replicates over queries; 0: none. @default 0 */
  bootstrap?: number;
  /** @default 1 */
  seed?: number;
  /** Adjustment over the neurons of one test. @default 'bh' */
  correction?: Correction;
  /** Level at which adjusted p-values count a neuron as significant. @default 0.05 */
  alpha?: number;
}

export const SET_STATISTICS_DEFAULTS = { permutations: 0, bootstrap: 0, seed: 1, correction: 'bh' as Correction, alpha: 0.05 };

export interface SignificantNeuron {
  layer: number;
  index: number;
  contrast: number;
  p: number;
  pAdjusted: number;
}

/** One contrast permutation test: a dataset's, or all datasets' together (`fused`). */
export interface ContrastTestReport {
  /** The dataset, or `fused`. */
  name: string;
  datasets: string[];
  pairs: { relevant: number; nonrelevant: number };
  permutations: number;
  seed: number;
  correction: Correction;
  alpha: number;
  /** The smallest p-value the permutations can give: 1 / (1 + permutations). */
  minAttainableP: number;
  /** Neurons with adjusted p ≤ alpha, per layer. */
  significantPerLayer: number[];
  /** Those neurons, by p (then |contrast|, largest first; then layer, index). */
  significant: SignificantNeuron[];
  contrast: LayerValues;
  p: LayerValues;
  pAdjusted: LayerValues;
}

/** What withSetStatistics adds to a NeuronReport (its `statistics`). */
export interface SetStatistics {
  tests: ContrastTestReport[];
  stability: SetStability[];
  /** The bootstrap's seed (its replicates are in `stability`). */
  seed: number;
  /** Limits worth knowing (too few permutations for the correction, failed replicates). */
  notes: string[];
}

/**
 * The report with the asked-for tests and bootstrap in `statistics`, and p-values and selection
 * frequencies on its sets' neurons; `setOptions` must be those that built `report`.
 */
export function withSetStatistics(report: NeuronReport, table: PairTable, setOptions: NeuronSetsOptions, o: SetStatisticsOptions = {}): NeuronReport {
  const permutations = o.permutations ?? SET_STATISTICS_DEFAULTS.permutations;
  const replicates = o.bootstrap ?? SET_STATISTICS_DEFAULTS.bootstrap;
  const seed = o.seed ?? SET_STATISTICS_DEFAULTS.seed;
  const correction = o.correction ?? SET_STATISTICS_DEFAULTS.correction;
  const alpha = o.alpha ?? SET_STATISTICS_DEFAULTS.alpha;
  if (!Number.isInteger(permutations) || permutations < 0) throw new CelensError(`permutations must be an integer >= 0, got ${permutations}`);
  if (!Number.isInteger(replicates) || replicates < 0) throw new CelensError(`bootstrap replicates must be an integer >= 0, got ${replicates}`);
  if (!(alpha > 0 && alpha < 1)) throw new CelensError(`alpha must lie in (0, 1), got ${alpha}`);
  const notes: string[] = [];
  const tests: ContrastTestReport[] = [];
  if (permutations > 0) {
    const strata = table.datasets.map((d): Stratum => ({
      name: d.dataset,
      relevant: d.rows.filter((r) => r.relevant === true).map((r) => r.values),
      nonrelevant: d.rows.filter((r) => r.relevant === false).map((r) => r.values),
    }));
    const run = (name: string, parts: Stratum[]): void => {
      tests.push(contrastTest(name, parts, table, { permutations, seed, correction, alpha }));
    };
    for (const s of strata) run(s.name, [s]);
    if (report.sets.some((s) => s.kind === 'fused') && strata.length > 1) run('fused', strata);
    const m = table.offsets[table.offsets.length - 1] as number;
    if (correction !== 'none' && 1 / (permutations + 1) > alpha / m) {
      notes.push(
        `--permutations ${permutations}: the smallest p-value is 1/${permutations + 1}, above α/m = ${alpha}/${m}; ${correction === 'holm' ? 'Holm can declare no neuron' : 'BH declares neurons only where many share the smallest p'}. ${Math.ceil(m / alpha)} permutations lift that limit`,
      );
    }
  }
  const stability = replicates > 0 ? bootstrapSets(report, table, setOptions, { replicates, seed }) : [];
  const failed = stability[0]?.failed ?? 0;
  if (failed > 0) notes.push(`bootstrap: ${failed} of ${replicates} replicates drew no pair of a group a set needs and are left out`);
  const sets = report.sets.map((s) => annotate(s, tests, stability.find((x) => x.set === s.name)));
  return { ...report, sets, statistics: { tests, stability, seed, notes } };
}

function contrastTest(name: string, strata: Stratum[], table: PairTable, o: { permutations: number; seed: number; correction: Correction; alpha: number }): ContrastTestReport {
  const t = contrastPermutationTest(strata, { permutations: o.permutations, seed: o.seed });
  const pAdj = Float64Array.from(adjustPValues(Array.from(t.p), o.correction));
  const contrast = splitLayers(t.contrast, table.offsets);
  const p = splitLayers(t.p, table.offsets);
  const pAdjusted = splitLayers(pAdj, table.offsets);
  const significant: SignificantNeuron[] = [];
  pAdjusted.forEach((row, layer) =>
    row.forEach((q, index) => {
      if (q <= o.alpha) significant.push({ layer, index, contrast: contrast[layer]?.[index] as number, p: p[layer]?.[index] as number, pAdjusted: q });
    }),
  );
  significant.sort((a, b) => a.p - b.p || Math.abs(b.contrast) - Math.abs(a.contrast) || a.layer - b.layer || a.index - b.index);
  return {
    name,
    datasets: strata.map((s) => s.name),
    pairs: { relevant: strata.reduce((n, s) => n + s.relevant.length, 0), nonrelevant: strata.reduce((n, s) => n + s.nonrelevant.length, 0) },
    permutations: o.permutations,
    seed: o.seed,
    correction: o.correction,
    alpha: o.alpha,
    minAttainableP: 1 / (1 + o.permutations),
    significantPerLayer: pAdjusted.map((row) => row.filter((q) => q <= o.alpha).length),
    significant,
    contrast,
    p,
    pAdjusted,
  };
}

/** The set with p-values (where a test speaks to it) and selection frequencies on its neurons. */
function annotate(set: NeuronSet, tests: readonly ContrastTestReport[], stability: SetStability | undefined): NeuronSet {
  const byName = new Map(tests.map((t) => [t.name, t]));
  const sources = set.kind === 'dataset' ? [byName.get(set.datasets[0] as string)] : set.kind === 'fused' ? [byName.get('fused')] : set.kind === 'intersect' ? set.datasets.map((d) => byName.get(d)) : [];
  const usable = sources.length > 0 && sources.every((t) => t !== undefined) ? (sources as ContrastTestReport[]) : [];
  const freq = new Map(stability?.frequencies.map((f) => [`${f.layer}.${f.index}`, f.frequency]));
  if (usable.length === 0 && !stability) return set;
  const neurons = set.neurons.map((n): Neuron => {
    const out: Neuron = { ...n };
    if (usable.length > 0) {
      out.p = Math.max(...usable.map((t) => t.p[n.layer]?.[n.index] as number));
      out.pAdjusted = Math.max(...usable.map((t) => t.pAdjusted[n.layer]?.[n.index] as number));
    }
    if (stability) out.frequency = freq.get(`${n.layer}.${n.index}`) ?? 0;
    return out;
  });
  return { ...set, neurons };
}
