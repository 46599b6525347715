/**
 * `celens serve [MODEL] [--collection C] [--run R] [--port 7860] [--host 127.0.0.1]`: the explorer.
 * Loads the model once, starts the local server (src/serve/server.ts) and prints its URL; the page
 * scores and ranks passages, shows NIG per token and neuron, and masks neurons. Runs until Ctrl-C
 * (or SIGTERM).
 */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_MODEL_DIR } from '../../defaults.js';
import { UsageError } from '../../errors.js';
import { COLLECTION_FORMATS } from '../../ir/collection.js';
import type { Collection, CollectionFormat } from '../../ir/collection.js';
import { loadCollection } from '../../ir/detect.js';
import { firstStage } from '../../ir/rerank.js';
import { readRun } from '../../ir/trec.js';
import { disposeModel } from '../../model/load.js';
import { Explorer } from '../../serve/explorer.js';
import { SERVE_LIMITS } from '../../serve/requests.js';
import { SERVE_DEFAULTS, startServer } from '../../serve/server.js';
import { loadTokenizer } from '../../tokenize/tokenizer.js';
import { setup, tokenizerDir, withBackend, withHub, withTokenizer } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs } from '../common.js';

interface ServeArgs extends BackendArgs, HubArgs, TokenizerArgs {
  model: string;
  collection: string | undefined;
  format: CollectionFormat | undefined;
  split: string | undefined;
  run: string | undefined;
  port: number;
  host: string;
  'max-passages': number;
  'max-steps': number;
  'max-body': number;
}

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve [model]',
  describe: 'a local web explorer: scores and ranks, NIG heat maps per token and neuron, masks (JSON API under /api)',
  builder: (y: Argv<object>): Argv<ServeArgs> =>
    withBackend(
      withTokenizer(withHub(y))
        .positional('model', { type: 'string', default: DEFAULT_MODEL_DIR, describe: 'model folder or hub id (default: the embedded model, weights/celens-ce-tiny)' })
        .option('collection', { type: 'string', describe: "collection whose queries and first-stage candidates the page offers" })
        .option('format', { choices: COLLECTION_FORMATS, describe: 'force the collection format' })
        .option('split', { type: 'string', describe: 'BEIR qrels split (default: test)' })
        .option('run', { type: 'string', describe: "first-stage TREC run (default: the collection's own)" })
        .option('port', { type: 'number', default: SERVE_DEFAULTS.port, describe: 'TCP port (0: any free port)' })
        .option('host', { type: 'string', default: SERVE_DEFAULTS.host, describe: 'address to bind; anything but loopback lets other machines use the server (there is no login)' })
        .option('max-passages', { type: 'number', default: SERVE_LIMITS.maxPassages, describe: 'passages per score or rerank request' })
        .option('max-steps', { type: 'number', default: SERVE_LIMITS.maxSteps, describe: 'NIG path points per attribution request' })
        .option('max-body', { type: 'number', default: SERVE_LIMITS.maxBodyBytes, describe: 'request body bytes (larger: 413)' }),
    ),
  handler: async (argv) => {
    if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65535) throw new UsageError('--port must be an integer from 0 to 65535');
    for (const k of ['max-passages', 'max-body'] as const) if (!Number.isInteger(argv[k]) || argv[k] < 1) throw new UsageError(`--${k} must be a positive integer`);
    if (!Number.isInteger(argv['max-steps']) || argv['max-steps'] < 2) throw new UsageError('--max-steps must be an integer >= 2');
    let collection: Collection | undefined;
    if (argv.collection !== undefined) {
      collection = await loadCollection(argv.collection, { ...(argv.format && { format: argv.format }), ...(argv.split !== undefined && { split: argv.split }) });
      if (argv.run !== undefined) Object.assign(collection, { run: await readRun(argv.run), runSource: argv.run });
      firstStage(collection); // no first stage: say so before loading the model
      for (const w of collection.warnings) process.stderr.write(`celens: warning: ${w}\n`);
    } else if (argv.run !== undefined) throw new UsageError('--run needs --collection (the texts of its queries and documents)');
    const { model, dir } = await setup(argv);
    try {
      const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
      const explorer = new Explorer(model, tokenizer, argv.model === DEFAULT_MODEL_DIR ? 'celens-ce-tiny (embedded)' : argv.model);
      const server = await startServer({
        explorer,
        ...(collection && { collection }),
        host: argv.host,
        port: argv.port,
        limits: { maxPassages: argv['max-passages'], maxSteps: argv['max-steps'], maxBodyBytes: argv['max-body'] },
        log: (line) => process.stderr.write(`${line}\n`),
      });
      if (!/^(127\.|localhost$|::1$|\[::1\]$)/.test(argv.host)) {
        process.stderr.write(`celens: warning: bound to ${argv.host}: anyone who can reach this address can use the server (there is no login)\n`);
      }
      process.stdout.write(`celens: serving ${explorer.name} at ${server.url} (Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
      process.stderr.write('celens: server stopped\n');
    } finally {
      disposeModel(model);
    }
  },
};
