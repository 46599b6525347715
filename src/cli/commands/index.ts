/** Every CLI command, in the order `celens --help` lists them. */
import type { CommandModule } from 'yargs';

// Each command module's handler is async and throws CelensError for the user's mistakes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCommand = CommandModule<any, any>;

export const commands: AnyCommand[] = [];
