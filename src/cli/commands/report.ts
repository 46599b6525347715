/**
 * `celens report --attributions A.jsonl… --sweep S.jsonl… --sets a.json b.json… --out DIR`:
 * figures as SVG (neuron heatmaps, pruning curves, set overlaps), their Vega-Lite specs
 * (`.vl.json`, to restyle) and an index.html that shows them together. Maps flags onto
 * ReportOptions and calls writeReport.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { NORMALIZE, SEGMENT_CHOICES } from '../../analysis/aggregate.js';
import type { Normalize, SegmentChoice } from '../../analysis/aggregate.js';
import { BANDS, REPORT_DEFAULTS } from '../../report/defaults.js';
import type { Band } from '../../report/defaults.js';
import type { ReportOptions } from '../../report/report.js';

interface ReportArgs {
  attributions: string[] | undefined;
  sweep: string[] | undefined;
  sets: string[] | undefined;
  out: string;
  metrics: string[] | undefined;
  site: string[] | undefined;
  segment: SegmentChoice;
  normalize: Normalize;
  split: boolean;
  band: Band;
  columns: number;
  title: string;
  png: boolean;
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'draw figures (SVG + an HTML page): neuron heatmaps, pruning curves, neuron-set overlaps',
  builder: (y: Argv<object>): Argv<ReportArgs> =>
    y
      .option('attributions', { type: 'string', array: true, describe: 'attribution JSONL files (celens attribute --out X.jsonl): layers × neurons heatmaps' })
      .option('sweep', { type: 'string', array: true, describe: 'pruning sweep JSONL files (celens prune --out S.jsonl): metric against budget' })
      .option('sets', { type: 'string', array: true, describe: 'neuron sets as mask JSON (celens neurons --out): per-layer counts, overlaps, Jaccard matrix' })
      .option('out', { type: 'string', demandOption: true, describe: 'folder for the SVGs, .vl.json specs and index.html' })
      .option('metrics', { type: 'string', array: true, alias: 'metric', describe: 'sweep metrics to plot, e.g. nDCG@10 (default: every metric in the sweep; --metric is the old spelling)' })
      .option('site', { type: 'string', array: true, describe: 'heatmap site kinds, e.g. ffn.pre (default: every kind in the records)' })
      .option('segment', { choices: SEGMENT_CHOICES, default: REPORT_DEFAULTS.segment, describe: 'heatmap: attribution summed over the whole pair or one segment' })
      .option('normalize', { choices: NORMALIZE, default: REPORT_DEFAULTS.normalize, describe: 'heatmap: per-pair scaling before averaging' })
      .option('split', { type: 'boolean', default: REPORT_DEFAULTS.split, describe: 'heatmap: one panel for relevant pairs, one for non-relevant (from each record\'s source)' })
      .option('band', { choices: BANDS, default: REPORT_DEFAULTS.band, describe: 'random pruning band over seeds: minmax, or sd (mean ± one standard deviation)' })
      .option('columns', { type: 'number', default: REPORT_DEFAULTS.columns, describe: 'heatmap: most cells per layer (wider layers pool neighbouring neurons)' })
      .option('title', { type: 'string', default: REPORT_DEFAULTS.title, describe: 'title of index.html' })
      .option('png', { type: 'boolean', default: REPORT_DEFAULTS.png, describe: 'also write a PNG of each figure (2x, text in the bundled Arimo); --no-png for SVG only' }),
  handler: async (argv) => {
    if (!Number.isInteger(argv.columns) || argv.columns < 1) throw new UsageError('--columns must be a positive integer');
    const options: ReportOptions = {
      ...(argv.attributions && { attributions: argv.attributions }),
      ...(argv.sweep && { sweeps: argv.sweep }),
      ...(argv.sets && { sets: argv.sets }),
      ...(argv.metrics && { metrics: argv.metrics }),
      ...(argv.site && { sites: argv.site }),
      segment: argv.segment,
      normalize: argv.normalize,
      split: argv.split,
      band: argv.band,
      columns: argv.columns,
      title: argv.title,
      png: argv.png,
      warn: (m) => process.stderr.write(`celens: warning: ${m}\n`),
    };
    // Imported here: the figures' code loads vega (≈ 0.4 s), which no other command needs.
    const { writeReport } = await import('../../report/report.js');
    const { files, figures } = await writeReport(argv.out, options);
    process.stderr.write(`celens: wrote ${figures.length} figures (${files.length} files) to ${argv.out}; open ${files[files.length - 1] ?? ''}\n`);
  },
};
