/** Every CLI command, in the order `celens --help` lists them. */
import type { Argv } from 'yargs';
import { bm25Command } from './bm25.js';
import { attributeCommand } from './attribute.js';
import { compareCommand } from './compare.js';
import { demoCommand } from './demo.js';
import { downloadCommand } from './download.js';
import { evalCommand } from './eval.js';
import { exportPrunedCommand } from './export-pruned.js';
import { forwardCommand } from './forward.js';
import { inspectCommand } from './inspect.js';
import { mergeCommand } from './merge.js';
import { neuronsCommand } from './neurons.js';
import { pruneCommand } from './prune.js';
import { rankCommand } from './rank.js';
import { reportCommand } from './report.js';
import { rerankCommand } from './rerank.js';
import { scoreCommand } from './score.js';
import { serveCommand } from './serve.js';
import { tokenizeCommand } from './tokenize.js';

/** Registers one command on the parser (a function keeps each command's argument types intact). */
export type Register = (y: Argv<object>) => Argv<object>;

export const commands: Register[] = [
  (y) => y.command(inspectCommand),
  (y) => y.command(scoreCommand),
  (y) => y.command(rankCommand),
  (y) => y.command(forwardCommand),
  (y) => y.command(attributeCommand),
  (y) => y.command(mergeCommand),
  (y) => y.command(neuronsCommand),
  (y) => y.command(tokenizeCommand),
  (y) => y.command(evalCommand),
  (y) => y.command(compareCommand),
  (y) => y.command(bm25Command),
  (y) => y.command(rerankCommand),
  (y) => y.command(pruneCommand),
  (y) => y.command(exportPrunedCommand),
  (y) => y.command(reportCommand),
  (y) => y.command(demoCommand),
  (y) => y.command(serveCommand),
  (y) => y.command(downloadCommand),
];
