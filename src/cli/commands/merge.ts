/**
 * `celens merge OUT SHARD…` or `celens merge --out OUT SHARD…`: shard journals of one run
 * (`attribute --shard i/N --out SHARD.jsonl`) → OUT.jsonl byte-identical to the unsharded run's
 * journal, or OUT.safetensors identical to `attribute --out OUT.safetensors`. Refuses mixed runs,
 * missing, repeated or unfinished shards.
 */
import type { Argv, CommandModule } from 'yargs';
import { mergeShards } from '../../analysis/merge-shards.js';
import { UsageError } from '../../errors.js';

interface MergeArgs {
  files: string[];
  out: string | undefined;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <files..>',
  describe: 'combine the shard files of attribute --shard i/N into the unsharded run\'s file (.jsonl or .safetensors)',
  builder: (y: Argv<object>): Argv<MergeArgs> =>
    y
      .positional('files', { type: 'string', array: true, demandOption: true, describe: 'OUT then the N shard journals (any order); with --out, the shard journals only' })
      .option('out', { type: 'string', describe: 'OUT.jsonl (the journal an unsharded run writes) or OUT.safetensors, as every other command names its output' }),
  handler: async (argv) => {
    const [out, ...shards] = argv.out !== undefined ? [argv.out, ...argv.files] : argv.files;
    if (out === undefined || shards.length === 0) throw new UsageError('give the output and at least one shard: celens merge --out OUT SHARD… (or merge OUT SHARD…)');
    const r = await mergeShards({ out, shards });
    for (const w of r.warnings) process.stderr.write(`celens: warning: ${w}\n`);
    process.stderr.write(`celens: merged ${r.shards} shards (${r.pairs} pairs) into ${out}\n`);
  },
};
