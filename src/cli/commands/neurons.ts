/**
 * `celens neurons --in A.jsonl [--in B.jsonl …] [--select top-p:1 …] [--from relevant]
 *   [--intersect] [--fuse] [--diff OOD:IN] [--out set.json] [--json]`
 * Mean attribution per neuron over pairs (per dataset, per relevance group, per segment), neuron
 * sets by selection rule, sets combined across datasets, overlaps; one set as mask JSON.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { aggregateFiles, AGGREGATE_DEFAULTS, NORMALIZE, PAIR_GROUPS, SEGMENT_CHOICES } from '../../analysis/aggregate.js';
import type { Aggregation } from '../../analysis/aggregate.js';
import { writeUnitScores } from '../../pruning/ranking.js';
import type { Normalize, PairGroup, SegmentChoice } from '../../analysis/aggregate.js';
import { formatNeuronReport } from '../../analysis/format-report.js';
import { readMagnitudes } from '../../analysis/magnitudes.js';
import { buildNeuronSets, neuronSetMeta, primarySet, writeNeuronSet, NEURON_SETS_DEFAULTS } from '../../analysis/neuron-report.js';
import { formatSelector, parseSelector } from '../../analysis/neuron-sets.js';

interface NeuronsArgs {
  in: string[];
  site: string | undefined;
  segment: SegmentChoice;
  normalize: Normalize;
  select: string[];
  from: PairGroup;
  magnitude: string | undefined;
  intersect: boolean;
  fuse: boolean;
  diff: string[] | undefined;
  out: string | undefined;
  'ranking-out': string | undefined;
  json: boolean;
  top: number;
}

export const neuronsCommand: CommandModule<object, NeuronsArgs> = {
  command: 'neurons',
  describe: 'neuron sets from attribution files: means per dataset and relevance group, top-p% / per-layer top-k, intersections, overlaps; write mask JSON',
  builder: (y: Argv<object>): Argv<NeuronsArgs> =>
    y
      .option('in', { type: 'string', array: true, demandOption: true, describe: 'attribution JSONL (celens attribute --out X.jsonl, or celens merge); repeat for more' })
      .option('site', { type: 'string', describe: 'site kind to rank, e.g. ffn.pre (default: the one the files hold)' })
      .option('segment', { choices: SEGMENT_CHOICES, default: AGGREGATE_DEFAULTS.segment as SegmentChoice, describe: 'attribution summed over all tokens, or over one segment' })
      .option('normalize', { choices: NORMALIZE, default: AGGREGATE_DEFAULTS.normalize as Normalize, describe: "scale each pair first: l1 = by Σ|attr|, target = by the target change (none: the paper's mean)" })
      .option('select', { type: 'string', array: true, default: NEURON_SETS_DEFAULTS.selectors.map(formatSelector), describe: 'top-p:P bottom-p:P abs-top-p:P (P% of all neurons, rounded up), top-k:K bottom-k:K (per layer), magnitude:P (needs --magnitude)' })
      .option('from', { choices: PAIR_GROUPS, default: NEURON_SETS_DEFAULTS.from as PairGroup, describe: 'pairs whose mean is ranked: all, relevant or nonrelevant (records need source.relevant)' })
      .option('magnitude', { type: 'string', describe: 'JSON {"layer.0": [mean |activation| per neuron], …} for magnitude:P' })
      .option('intersect', { type: 'boolean', default: false, describe: "neurons in every dataset's set (relevance neurons)" })
      .option('fuse', { type: 'boolean', default: false, describe: "average the datasets' means, then select" })
      .option('diff', { type: 'string', array: true, describe: 'OOD:IN — select from the mean of dataset OOD minus that of IN' })
      .option('out', { type: 'string', describe: 'write the (one combined, or only) set as mask JSON, with OUT.meta.json beside it' })
      .option('ranking-out', { type: 'string', describe: 'write the --from group\'s mean per neuron (datasets averaged) as a ranking file for celens prune --ranking' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON instead of tables' })
      .option('top', { type: 'number', default: 10, describe: 'neurons listed per set' }),
  handler: async (argv) => {
    if (!Number.isInteger(argv.top) || argv.top < 0) throw new UsageError('--top must be an integer >= 0');
    const selectors = argv.select.map(parseSelector);
    const warn = (m: string): void => void process.stderr.write(`celens: warning: ${m}\n`);
    const agg = await aggregateFiles(argv.in, { ...(argv.site !== undefined && { site: argv.site }), segment: argv.segment, normalize: argv.normalize, warn });
    const magnitudes = argv.magnitude !== undefined ? await readMagnitudes(argv.magnitude, agg.widths) : undefined;
    const report = buildNeuronSets(agg, {
      selectors,
      from: argv.from,
      intersect: argv.intersect,
      fuse: argv.fuse,
      ...(argv.diff && { diff: argv.diff }),
      ...(magnitudes && { magnitudes }),
    });
    for (const s of report.skipped) process.stderr.write(`celens: note: ${s}\n`);
    const written = argv.out !== undefined ? await writeNeuronSet(argv.out, report, primarySet(report)) : undefined;
    if (argv['ranking-out'] !== undefined) await writeRanking(argv['ranking-out'], agg, argv.from);
    if (argv.json) {
      const json = {
        site: agg.site,
        segment: agg.segment,
        normalize: agg.normalize,
        from: report.from,
        datasets: agg.datasets.map((d) => ({ dataset: d.dataset, files: d.files, pairs: { all: d.groups.all.pairs, relevant: d.groups.relevant.pairs, nonrelevant: d.groups.nonrelevant.pairs } })),
        sets: report.sets.map((s) => neuronSetMeta(report, s)),
        overlaps: report.overlaps,
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

/** The ranking `celens prune --ranking` reads: the group's mean per neuron, datasets weighted equally. */
async function writeRanking(file: string, agg: Aggregation, from: PairGroup): Promise<void> {
  if (agg.site !== 'ffn.pre' && agg.site !== 'ffn.post') throw new UsageError(`--ranking-out needs an FFN site (ffn.pre or ffn.post), not ${agg.site}`);
  const parts = agg.datasets.filter((d) => d.groups[from].pairs > 0);
  if (parts.length === 0) throw new UsageError(`--ranking-out: no ${from} pairs in the input`);
  const values = agg.widths.map((w, l) => {
    const v = new Float64Array(w);
    for (const d of parts) d.groups[from].mean[l]?.forEach((x, j) => (v[j] = (v[j] as number) + x / parts.length));
    return v;
  });
  const pairs = parts.reduce((n, d) => n + d.groups[from].pairs, 0);
  await writeUnitScores(file, { site: `layer.{l}.${agg.site}`, statistic: `mean NIG over ${from} pairs (${agg.segment}), datasets averaged`, pairs, values });
  process.stderr.write(`celens: wrote ranking of ${pairs} ${from} pairs to ${file}\n`);
}
