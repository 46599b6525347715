/**
 * `celens neurons --in A.jsonl [--in B.jsonl …] [--select top-p:1 …] [--from relevant|contrast]
 *   [--intersect] [--fuse] [--diff OOD:IN] [--permutations N] [--bootstrap N] [--out set.json] [--json]`
 * Mean attribution per neuron over pairs (per dataset, per relevance group, per segment), its
 * signed distribution per layer, neuron sets by selection rule, sets combined across datasets,
 * overlaps; the contrast permutation test and the bootstrap over queries; one set as mask JSON.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { aggregateFiles, AGGREGATE_DEFAULTS, NORMALIZE, SEGMENT_CHOICES } from '../../analysis/aggregate.js';
import type { Aggregation } from '../../analysis/aggregate.js';
import { writeUnitScores } from '../../pruning/ranking.js';
import type { Normalize, SegmentChoice } from '../../analysis/aggregate.js';
import { formatNeuronReport } from '../../analysis/format-report.js';
import { readMagnitudes } from '../../analysis/magnitudes.js';
import { buildNeuronSets, neuronSetMeta, primarySet, rankedValues, writeNeuronSet, NEURON_SETS_DEFAULTS, RANK_FROM } from '../../analysis/neuron-report.js';
import type { NeuronSetsOptions, RankFrom } from '../../analysis/neuron-report.js';
import { formatSelector, parseSelector } from '../../analysis/neuron-sets.js';
import { CORRECTIONS } from '../../stats/correction.js';
import type { Correction } from '../../stats/correction.js';
import { readPairTable } from '../../analysis/pair-table.js';
import { SET_STATISTICS_DEFAULTS, withSetStatistics } from '../../analysis/set-statistics.js';

interface NeuronsArgs {
  in: string[];
  site: string | undefined;
  segment: SegmentChoice;
  normalize: Normalize;
  select: string[];
  from: RankFrom;
  magnitude: string | undefined;
  intersect: boolean;
  fuse: boolean;
  diff: string[] | undefined;
  out: string | undefined;
  'ranking-out': string | undefined;
  json: boolean;
  top: number;
  permutations: number;
  bootstrap: number;
  seed: number;
  correction: Correction;
  alpha: number;
}

export const neuronsCommand: CommandModule<object, NeuronsArgs> = {
  command: 'neurons',
  describe: 'neuron sets from attribution files: means per dataset and relevance group, their signed distribution per layer, top-p% / |top-p%| / per-layer top-k, contrast permutation tests, bootstrap stability, intersections, overlaps; write mask JSON',
  builder: (y: Argv<object>): Argv<NeuronsArgs> =>
    y
      .option('in', { type: 'string', array: true, demandOption: true, describe: 'attribution JSONL (celens attribute --out X.jsonl, or celens merge); repeat for more' })
      .option('site', { type: 'string', describe: 'site kind to rank, e.g. ffn.pre (default: the one the files hold)' })
      .option('segment', { choices: SEGMENT_CHOICES, default: AGGREGATE_DEFAULTS.segment as SegmentChoice, describe: 'attribution summed over all tokens, or over one segment' })
      .option('normalize', { choices: NORMALIZE, default: AGGREGATE_DEFAULTS.normalize as Normalize, describe: "scale each pair first: l1 = by Σ|attr|, target = by the target change (none: the paper's mean)" })
      .option('select', { type: 'string', array: true, default: NEURON_SETS_DEFAULTS.selectors.map(formatSelector), describe: 'top-p:P bottom-p:P abs-top-p:P (P% of all neurons, rounded up), top-k:K bottom-k:K (per layer), magnitude:P (needs --magnitude)' })
      .option('from', { choices: RANK_FROM, default: NEURON_SETS_DEFAULTS.from as RankFrom, describe: 'pairs whose mean is ranked: all, relevant or nonrelevant, or contrast = mean over relevant − mean over non-relevant pairs (records need source.relevant)' })
      .option('magnitude', { type: 'string', describe: 'JSON {"layer.0": [mean |activation| per neuron], …} for magnitude:P' })
      .option('intersect', { type: 'boolean', default: false, describe: "neurons in every dataset's set (relevance neurons)" })
      .option('fuse', { type: 'boolean', default: false, describe: "average the datasets' means, then select" })
      .option('diff', { type: 'string', array: true, describe: 'OOD:IN — select from the mean of dataset OOD minus that of IN' })
      .option('out', { type: 'string', describe: 'write the (one combined, or only) set as mask JSON, with OUT.meta.json beside it' })
      .option('ranking-out', { type: 'string', describe: 'write the --from group\'s mean per neuron (datasets averaged) as a ranking file for celens prune --ranking' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of tables' })
      .option('top', { type: 'number', default: 10, describe: 'neurons listed per set' })
      .option('permutations', { type: 'number', default: SET_STATISTICS_DEFAULTS.permutations, describe: 'contrast test: permute relevant/non-relevant labels over pairs N times; p-values per neuron (0: no test)' })
      .option('correction', { choices: CORRECTIONS, default: SET_STATISTICS_DEFAULTS.correction, describe: 'adjust the p-values over all neurons: holm (family-wise error), bonferroni, bh (Benjamini–Hochberg false discovery rate), none' })
      .option('alpha', { type: 'number', default: SET_STATISTICS_DEFAULTS.alpha, describe: 'adjusted p <= alpha counts a neuron as significant' })
      .option('bootstrap', { type: 'number', default: SET_STATISTICS_DEFAULTS.bootstrap, describe: 'resample queries N times, rebuild every set: mean Jaccard with the full-data set, selection frequency per neuron (0: none)' })
      .option('seed', { type: 'number', default: SET_STATISTICS_DEFAULTS.seed, describe: 'seed of the permutations and of the bootstrap' }),
  handler: async (argv) => {
    if (!Number.isInteger(argv.top) || argv.top < 0) throw new UsageError('--top must be an integer >= 0');
    for (const [flag, v] of [['--permutations', argv.permutations], ['--bootstrap', argv.bootstrap], ['--seed', argv.seed]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new UsageError(`${flag} must be an integer >= 0`);
    }
    if (!(argv.alpha > 0 && argv.alpha < 1)) throw new UsageError('--alpha must lie between 0 and 1');
    const selectors = argv.select.map(parseSelector);
    const warn = (m: string): void => void process.stderr.write(`celens: warning: ${m}\n`);
    const agg = await aggregateFiles(argv.in, { ...(argv.site !== undefined && { site: argv.site }), segment: argv.segment, normalize: argv.normalize, warn });
    const magnitudes = argv.magnitude !== undefined ? await readMagnitudes(argv.magnitude, agg.widths) : undefined;
    const setOptions: NeuronSetsOptions = {
      selectors,
      from: argv.from,
      intersect: argv.intersect,
      fuse: argv.fuse,
      ...(argv.diff && { diff: argv.diff }),
      ...(magnitudes && { magnitudes }),
    };
    let report = buildNeuronSets(agg, setOptions);
    if (argv.permutations > 0 || argv.bootstrap > 0) {
      const table = await readPairTable(argv.in, agg, warn);
      report = withSetStatistics(report, table, setOptions, { permutations: argv.permutations, bootstrap: argv.bootstrap, seed: argv.seed, correction: argv.correction, alpha: argv.alpha });
    }
    for (const s of [...report.skipped, ...(report.statistics?.notes ?? [])]) process.stderr.write(`celens: note: ${s}\n`);
    const written = argv.out !== undefined ? await writeNeuronSet(argv.out, report, primarySet(report)) : undefined;
    if (argv['ranking-out'] !== undefined) await writeRanking(argv['ranking-out'], agg, argv.from);
    if (argv.json) {
      const json = {
        site: agg.site,
        segment: agg.segment,
        normalize: agg.normalize,
        from: report.from,
        datasets: agg.datasets.map((d) => ({ dataset: d.dataset, files: d.files, pairs: { all: d.groups.all.pairs, relevant: d.groups.relevant.pairs, nonrelevant: d.groups.nonrelevant.pairs } })),
        distributions: report.distributions,
        sets: report.sets.map((s) => neuronSetMeta(report, s)),
        overlaps: report.overlaps,
        ...(report.statistics && report.statistics.tests.length > 0 && { tests: report.statistics.tests.map(({ contrast: _c, p: _p, pAdjusted: _a, ...t }) => t) }),
        skipped: report.skipped,
        ...(written && { written }),
      };
      process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    } else {
      process.stdout.write(formatNeuronReport(report, { top: argv.top }));
    }
    if (written) process.stderr.write(`celens: wrote ${written.mask} and ${written.meta}\n`);
  },
};

/** The ranking `celens prune --ranking` reads: the group's mean (or the contrast) per neuron, datasets weighted equally. */
async function writeRanking(file: string, agg: Aggregation, from: RankFrom): Promise<void> {
  if (agg.site !== 'ffn.pre' && agg.site !== 'ffn.post') throw new UsageError(`--ranking-out needs an FFN site (ffn.pre or ffn.post), not ${agg.site}`);
  const groups = from === 'contrast' ? (['relevant', 'nonrelevant'] as const) : [from];
  const parts = agg.datasets.filter((d) => groups.every((g) => d.groups[g].pairs > 0));
  if (parts.length === 0) throw new UsageError(`--ranking-out: no ${from === 'contrast' ? 'dataset with both relevant and non-relevant' : from} pairs in the input`);
  const values = agg.widths.map((w) => new Float64Array(w));
  for (const d of parts) rankedValues(agg, d.dataset, from).forEach((row, l) => row.forEach((x, j) => ((values[l] as Float64Array)[j] = ((values[l] as Float64Array)[j] as number) + x / parts.length)));
  const pairs = parts.reduce((n, d) => n + groups.reduce((m, g) => m + d.groups[g].pairs, 0), 0);
  const what = from === 'contrast' ? 'mean NIG over relevant minus mean over non-relevant pairs' : `mean NIG over ${from} pairs`;
  await writeUnitScores(file, { site: `layer.{l}.${agg.site}`, statistic: `${what} (${agg.segment}), datasets averaged`, pairs, values });
  process.stderr.write(`celens: wrote ranking of ${pairs} ${from} pairs to ${file}\n`);
}
