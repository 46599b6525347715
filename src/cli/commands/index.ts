/** Every CLI command, in the order `celens --help` lists them. */
import type { Argv } from 'yargs';
import { demoCommand } from './demo.js';
import { forwardCommand } from './forward.js';
import { inspectCommand } from './inspect.js';
import { scoreCommand } from './score.js';
import { tokenizeCommand } from './tokenize.js';

/** Registers one command on the parser (a function keeps each command's argument types intact). */
export type Register = (y: Argv<object>) => Argv<object>;

export const commands: Register[] = [
  (y) => y.command(inspectCommand),
  (y) => y.command(scoreCommand),
  (y) => y.command(forwardCommand),
  (y) => y.command(tokenizeCommand),
  (y) => y.command(demoCommand),
];
