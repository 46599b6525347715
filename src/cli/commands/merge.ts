/**
 * `celens merge OUT SHARD…`: shard journals of one run (`attribute --shard i/N --out SHARD.jsonl`)
 * → OUT.jsonl byte-identical to the unsharded run's journal, or OUT.safetensors identical to
 * `attribute --out OUT.safetensors`. Refuses mixed runs, missing, repeated or unfinished shards.
 */
import type { Argv, CommandModule } from 'yargs';
import { mergeShards } from '../../analysis/merge-shards.js';

interface MergeArgs {
  out: string;
  shards: string[];
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  command: 'merge <out> <shards..>',
  describe: 'combine the shard files of attribute --shard i/N into the unsharded run\'s file (.jsonl or .safetensors)',
  builder: (y: Argv<object>): Argv<MergeArgs> =>
    y
      .positional('out', { type: 'string', demandOption: true, describe: 'OUT.jsonl (the journal an unsharded run writes) or OUT.safetensors' })
      .positional('shards', { type: 'string', array: true, demandOption: true, describe: 'the N shard journals, any order' }),
  handler: async (argv) => {
    const r = await mergeShards({ out: argv.out, shards: argv.shards });
    for (const w of r.warnings) process.stderr.write(`celens: warning: ${w}\n`);
    process.stderr.write(`celens: merged ${r.shards} shards (${r.pairs} pairs) into ${argv.out}\n`);
  },
};
