/**
 * One family of errors for everything a user can get wrong. Messages are one line and start
 * with the place (`file:line: …`, `file: tensor 'x': …`) so the CLI can print them as they are.
 */

export interface ErrorPlace {
  file?: string;
  line?: number;
  tensor?: string;
  expected?: string;
  found?: string;
}

/** The base of celens' errors: a one-line message that starts with the place (file, line or tensor). */
export class CelensError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly tensor?: string;
  readonly expected?: string;
  readonly found?: string;

  constructor(message: string, place: ErrorPlace = {}) {
    super(formatMessage(message, place));
    this.name = new.target.name;
    if (place.file !== undefined) this.file = place.file;
    if (place.line !== undefined) this.line = place.line;
    if (place.tensor !== undefined) this.tensor = place.tensor;
    if (place.expected !== undefined) this.expected = place.expected;
    if (place.found !== undefined) this.found = place.found;
  }
}

/** A safetensors file (or shard index) that is not what it claims to be. */
export class SafetensorsError extends CelensError {}
/** config.json missing, malformed, or describing a model celens does not support. */
export class ConfigError extends CelensError {}
/** Weights that do not match the config: missing tensors, wrong shapes. */
export class WeightsError extends CelensError {}
/** A tensor of the wrong shape or dtype handed to the model or a command. */
export class ShapeError extends CelensError {}
/** An unknown or malformed intervention-site name or mask. */
export class SiteError extends CelensError {}
/** Tokenizer files or inputs that cannot be tokenized as asked. */
export class TokenizerError extends CelensError {}
/** A TREC topics/qrels/run file (or other IR data file) with a malformed line. */
export class TrecFormatError extends CelensError {}
/** A backend that was asked for but cannot be loaded here. */
export class BackendError extends CelensError {}
/** A command-line usage problem that yargs cannot catch by itself. */
export class UsageError extends CelensError {}

function formatMessage(message: string, p: ErrorPlace): string {
  let where = '';
  if (p.file !== undefined) where += p.line !== undefined ? `${p.file}:${p.line}` : p.file;
  if (p.tensor !== undefined) where += `${where ? ': ' : ''}tensor '${p.tensor}'`;
  let msg = where ? `${where}: ${message}` : message;
  if (p.expected !== undefined || p.found !== undefined) {
    msg += ` (expected ${p.expected ?? '?'}, found ${p.found ?? '?'})`;
  }
  // One line, whatever was quoted: V8's JSON.parse messages quote the input, newlines included.
  return msg.replace(/\r?\n|\r/g, '\\n');
}
