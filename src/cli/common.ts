/** Options and helpers shared by the commands: backend choice, model argument, masks. */
import type { Argv } from 'yargs';
import { selectBackend, BACKENDS } from '../backend/select.js';
import type { BackendName } from '../backend/select.js';
import { loadModel } from '../model/load.js';
import type { LoadedModel } from '../model/load.js';
import { readMasks } from '../model/masks.js';
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

/** Selects the backend, then loads MODEL (a local folder in HF layout). */
export async function setup(args: BackendArgs & { model: string }): Promise<LoadedModel> {
  const { note } = await selectBackend(args.backend);
  if (note) process.stderr.write(`celens: ${note}\n`);
  return loadModel(args.model);
}

export async function optionalMasks(file: string | undefined, model: LoadedModel): Promise<Masks | undefined> {
  return file === undefined ? undefined : readMasks(file, model.config);
}
