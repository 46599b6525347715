/** celens command line: each command lives in commands/<name>.ts and calls the library. */
import yargs from 'yargs';
import { CelensError } from '../errors.js';
import { commands } from './commands/index.js';

export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('celens')
    .strict()
    .demandCommand(1, 'name a command (celens --help lists them)')
    .recommendCommands()
    .exitProcess(false)
    .fail((msg, err) => {
      throw err ?? new CelensError(msg);
    })
    .help();
  for (const register of commands) cli = register(cli);
  await cli.parseAsync();
}

/** Runs the CLI and turns errors into one line on stderr and a non-zero exit code. */
export async function run(argv: string[]): Promise<number> {
  try {
    await main(argv);
    return 0;
  } catch (err: unknown) {
    if (err instanceof CelensError) {
      process.stderr.write(`celens: ${err.message}\n`);
    } else {
      process.stderr.write(`celens: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    return 1;
  }
}
