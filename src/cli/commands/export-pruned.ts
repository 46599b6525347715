/**
 * `celens export-pruned MODEL --mask MASK.json --out DIR [--means MEANS.json] [--bench]`: writes a
 * smaller model with the masked FFN neurons removed (pruning/export.ts); `--bench` then times the
 * masked original against it on a synthetic batch.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { disposeModel, loadModel } from '../../model/load.js';
import { readMasks } from '../../model/masks.js';
import { benchPruned, PRUNED_BENCH_DEFAULTS } from '../../pruning/bench.js';
import { exportPruned } from '../../pruning/export.js';
import { readFfnMeans } from '../../pruning/means.js';
import { setup, tokenizerDir, withBackend, withHub, withTokenizer } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs } from '../common.js';

interface ExportArgs extends BackendArgs, HubArgs, TokenizerArgs {
  model: string;
  mask: string;
  out: string;
  means: string | undefined;
  bench: boolean;
  'bench-batch': number;
  'bench-length': number | undefined;
  'bench-runs': number;
}

export const exportPrunedCommand: CommandModule<object, ExportArgs> = {
  command: 'export-pruned <model>',
  describe: 'write a physically smaller model: masked FFN neurons removed, per-layer sizes in config.json',
  builder: (y: Argv<object>): Argv<ExportArgs> =>
    withTokenizer(withBackend(withHub(y)))
      .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
      .option('mask', { type: 'string', demandOption: true, describe: 'mask JSON, e.g. {"layer.0.ffn": [1, 5]}' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
      .option('means', { type: 'string', describe: 'ffn-means file (celens prune): fold the removed neurons\' means into the bias (mean ablation)' })
      .option('bench', { type: 'boolean', default: false, describe: 'time the masked model against the exported one' })
      .option('bench-batch', { type: 'number', default: PRUNED_BENCH_DEFAULTS.batch as number })
      .option('bench-length', { type: 'number', describe: `tokens per pair (default: min(${PRUNED_BENCH_DEFAULTS.maxLength}, max positions))` })
      .option('bench-runs', { type: 'number', default: PRUNED_BENCH_DEFAULTS.runs as number }),
  handler: async (argv) => {
    const { model, dir } = await setup(argv);
    try {
      const masks = await readMasks(argv.mask, model.config);
      let means: Float32Array[] | undefined;
      if (argv.means !== undefined) {
        const m = await readFfnMeans(argv.means, model.config);
        if (!m) throw new UsageError(`${argv.means}: no such means file`);
        means = m.mean;
      }
      const r = await exportPruned(model, masks, { out: argv.out, ...(means && { means }), tokenizerDir: tokenizerDir(argv, dir) });
      process.stdout.write(
        `wrote ${argv.out}: FFN widths ${r.intermediateSizes.join(', ')} (removed ${r.removed.join(', ')}); ` +
          `${r.parameters.after} parameters (was ${r.parameters.before}); tokenizer files: ${r.copied.length ? r.copied.join(', ') : 'none'}\n`,
      );
      if (!argv.bench) return;
      const exported = await loadModel(argv.out);
      try {
        const b = await benchPruned(model, masks, exported, { batch: argv['bench-batch'], runs: argv['bench-runs'], ...(argv['bench-length'] !== undefined && { length: argv['bench-length'] }) });
        process.stdout.write(`bench (batch ${b.batch} × ${b.length} tokens, median of ${b.runs}): masked ${b.maskedMs.toFixed(1)} ms, exported ${b.exportedMs.toFixed(1)} ms, speed-up ×${b.speedup.toFixed(2)}\n`);
      } finally {
        disposeModel(exported);
      }
    } finally {
      disposeModel(model);
    }
  },
};
