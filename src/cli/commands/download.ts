/**
 * `celens download REPO_ID [--revision R] [--cache-dir D] [--hub-url U] [--token T]`: fetches a
 * cross-encoder (config, tokenizer files, safetensors weights) from the Hugging Face Hub into the
 * HF cache, resuming an interrupted download. Prints the snapshot folder; every MODEL argument
 * then takes the hub id itself. REPO_ID is `org/name` or a bare legacy id (`bert-base-uncased`);
 * gated and private models take a token as huggingface_hub finds one ($HF_TOKEN, $HF_HOME/token).
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { downloadModel, DOWNLOAD_DEFAULTS } from '../../weights/hub-download.js';
import { withHub } from '../common.js';
import type { HubArgs } from '../common.js';
import { progressBar } from '../progress.js';

interface DownloadArgs extends HubArgs {
  repo: string;
  'hub-url': string | undefined;
  token: string | undefined;
  retries: number;
}

export const downloadCommand: CommandModule<object, DownloadArgs> = {
  command: 'download <repo>',
  describe: 'download a model from the Hugging Face Hub into the HF cache (resumable, verified)',
  builder: (y: Argv<object>): Argv<DownloadArgs> =>
    withHub(y)
      .positional('repo', { type: 'string', demandOption: true, describe: 'model id on the Hub, e.g. cross-encoder/ms-marco-MiniLM-L-6-v2 or bert-base-uncased' })
      .option('hub-url', { type: 'string', describe: 'Hub endpoint (default: $HF_ENDPOINT or https://huggingface.co)' })
      .option('token', {
        type: 'string',
        describe: 'access token for gated or private models, sent only to the Hub endpoint (default: $HF_TOKEN, else the file $HF_HOME/token that `hf auth login` writes)',
      })
      .option('retries', { type: 'number', default: DOWNLOAD_DEFAULTS.retries as number, describe: 'tries after the first, per request and per file' }),
  handler: async (argv) => {
    if (!Number.isInteger(argv.retries) || argv.retries < 0 || argv.retries > 20) throw new UsageError('--retries must be a whole number from 0 to 20');
    const hubUrl = argv['hub-url'];
    if (hubUrl !== undefined && !/^https?:\/\/[^/]/.test(hubUrl)) throw new UsageError(`--hub-url '${hubUrl}': not an http(s) URL`);
    // `--token` with nothing after it would silently fall back to HF_TOKEN; say so instead.
    if (argv.token !== undefined && argv.token.trim() === '') throw new UsageError('--token needs a value (or leave it out to use $HF_TOKEN or $HF_HOME/token)');
    const bar = progressBar('download');
    try {
      const r = await downloadModel({
        repo: argv.repo,
        ...(argv.revision !== undefined && { revision: argv.revision }),
        ...(argv['cache-dir'] !== undefined && { cacheDir: argv['cache-dir'] }),
        ...(hubUrl !== undefined && { hubUrl }),
        ...(argv.token !== undefined && { token: argv.token }),
        retries: argv.retries,
        onProgress: (p) => bar.update(p.done, p.total),
      });
      bar.stop();
      const got = r.files.filter((f) => f.downloaded);
      const bytes = got.reduce((s, f) => s + f.size, 0);
      const resumed = got.filter((f) => f.resumedFrom > 0).map((f) => `${f.path} from byte ${f.resumedFrom}`);
      process.stderr.write(
        `celens: ${r.repo}@${r.commit}: ${got.length} of ${r.files.length} files downloaded (${bytes} bytes)` +
          `${resumed.length ? `, resumed ${resumed.join(', ')}` : ''}\n`,
      );
      process.stdout.write(`${r.dir}\n`);
    } finally {
      bar.stop();
    }
  },
};
