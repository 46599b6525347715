/** Options and helpers shared by the commands: backend choice, model argument, masks. */
import type { Argv } from 'yargs';
import { resolveModel } from '../weights/hub/resolve-model.js';
import { selectBackend, BACKENDS } from '../backend/select.js';
import type { BackendName } from '../backend/select.js';
import { loadModel, openModel } from '../model/load.js';
import { UsageError } from '../errors.js';
import type { LoadedModel, OpenedModel } from '../model/load.js';
import type { BertConfig } from '../weights/config.js';
import { readMasks } from '../model/masks.js';
import { defaultWorkers } from '../jobs/pool.js';
import type { Masks } from '../model/masks.js';

export interface BackendArgs {
  backend: BackendName | undefined;
}

export function withBackend<T>(y: Argv<T>): Argv<T & BackendArgs> {
  return y.option('backend', {
    choices: BACKENDS,
    describe: 'tfjs backend (default: wasm, falling back to cpu)',
  }) as Argv<T & BackendArgs>;
}

export interface WorkersArgs {
  workers: number;
}

/** `--workers N`: worker threads, each with its own backend and model copy; by default the pool's defaultWorkers(--backend). */
export function withWorkers<T>(y: Argv<T>): Argv<T & WorkersArgs> {
  return y
    .option('workers', {
      type: 'number',
      defaultDescription: 'the number of cores; 1 with --backend tensorflow or tensorflow-gpu, which use every core themselves',
      describe: 'worker threads, each with its own backend and model copy (1 = in this thread); same numbers for any count',
    })
    .middleware((argv: { workers?: number | undefined; backend?: unknown }) => {
      argv.workers ??= defaultWorkers(argv.backend as BackendName | undefined);
    }) as unknown as Argv<T & WorkersArgs>;
}

/** Refuses a --workers that is not a positive integer. */
export function checkWorkers(workers: number): void {
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError('--workers must be an integer >= 1');
}

/** Where a hub id (`org/name`) given as MODEL is looked up; optional so every command can pass its args. */
export interface HubArgs {
  'cache-dir'?: string | undefined;
  revision?: string | undefined;
}

export function withHub<T>(y: Argv<T>): Argv<T & HubArgs> {
  return y
    .option('cache-dir', { type: 'string', describe: 'Hugging Face cache for hub ids (default: $HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub)' })
    .option('revision', { type: 'string', describe: 'branch, tag or commit of a hub id (default: main)' }) as Argv<T & HubArgs>;
}

/** MODEL as a folder: itself if it is one, else a hub id's snapshot in the HF cache (no network). */
export async function modelDir(args: HubArgs & { model: string }): Promise<string> {
  return resolveModel(args.model, {
    ...(args['cache-dir'] !== undefined && { cacheDir: args['cache-dir'] }),
    ...(args.revision !== undefined && { revision: args.revision }),
  });
}

/** Resolves MODEL (a folder in HF layout, or a cached hub id; `dir` where already resolved), selects the backend, loads the model. */
export async function setup(args: BackendArgs & HubArgs & { model: string }, resolved?: string): Promise<{ model: LoadedModel; dir: string }> {
  const dir = resolved ?? (await modelDir(args));
  const { note } = await selectBackend(args.backend);
  if (note) process.stderr.write(`celens: ${note}\n`);
  return { model: await loadModel(dir), dir };
}

/**
 * As setup, but only opened (config now, weights on first use) where a worker pool was started
 * for the job (`pooled`): the workers load their own copies, and this thread reads the weights
 * only if it ends up computing (openModel).
 */
export async function setupFor(
  args: BackendArgs & HubArgs & { model: string },
  resolved: string,
  pooled: boolean,
): Promise<{ model: LoadedModel | OpenedModel; dir: string }> {
  if (!pooled) return setup(args, resolved);
  const { note } = await selectBackend(args.backend);
  if (note) process.stderr.write(`celens: ${note}\n`);
  return { model: await openModel(resolved), dir: resolved };
}

export async function optionalMasks(file: string | undefined, model: { config: BertConfig }): Promise<Masks | undefined> {
  return file === undefined ? undefined : readMasks(file, model.config);
}

/** `--tokenizer DIR`: tokenizer files from another folder (a model folder without any, e.g. a bare fixture). */
export interface TokenizerArgs {
  tokenizer: string | undefined;
}

export function withTokenizer<T>(y: Argv<T>): Argv<T & TokenizerArgs> {
  return y.option('tokenizer', {
    type: 'string',
    describe: 'folder with tokenizer.json or vocab.txt (default: the model folder)',
  }) as Argv<T & TokenizerArgs>;
}

/** Where the tokenizer is read from: --tokenizer when given, else the model folder. */
export function tokenizerDir(args: Partial<TokenizerArgs>, modelDir: string): string {
  return args.tokenizer ?? modelDir;
}
