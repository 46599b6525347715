/**
 * JSON files and JSON lines, parsed with one error: `file:line: not valid JSON (column C: <V8's
 * reason>)`. Node 20's JSON.parse often names no position at all, so the place comes from our own
 * scan (json-place.ts); each caller keeps its error class (ConfigError, SiteError, …).
 */
import { CelensError } from '../errors.js';
import { readText } from './files.js';
import type { CelensErrorClass, ReadOptions } from './files.js';
import { jsonErrorOffset, lineAt } from './json-place.js';

export interface ParseJsonOptions {
  /** @default CelensError */
  error?: CelensErrorClass;
  /** `text` is this line of `file` (a JSONL line): errors name it, and the column within it. */
  line?: number;
  /** What to do about it, appended to the message (e.g. 'delete the file to start over'). */
  hint?: string;
}

/** JSON.parse; a syntax error is a CelensError naming the file, line and column of the first bad character. */
export function parseJson(text: string, file: string, o: ParseJsonOptions = {}): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const Err = o.error ?? CelensError;
    // V8 quotes the input in its message, newlines included: one line, spaces collapsed.
    const reason = (e as Error).message.replace(/\s+/g, ' ');
    const hint = o.hint === undefined ? '' : `; ${o.hint}`;
    const at = errorOffset(text);
    if (at === undefined) throw new Err(`not valid JSON (${reason})${hint}`, o.line === undefined ? { file } : { file, line: o.line });
    const column = at - (at === 0 ? 0 : text.lastIndexOf('\n', at - 1) + 1) + 1;
    throw new Err(`not valid JSON (column ${column}: ${reason})${hint}`, { file, line: (o.line ?? 1) + lineAt(text, at) - 1 });
  }
}

/** Reads and parses a JSON file: `cannot read[ what] (CODE)` or `not valid JSON (…)`, naming the file. */
export async function readJsonFile(file: string, o: ReadOptions = {}): Promise<unknown> {
  return parseJson(await readText(file, o), file, o.error ? { error: o.error } : {});
}

/** A JSON object (not null, not an array): what every celens JSON file is at its top. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Where the text stops being JSON; undefined when the scan cannot say (nesting too deep for its recursion). */
function errorOffset(text: string): number | undefined {
  try {
    const at = jsonErrorOffset(text);
    return at < 0 ? undefined : at;
  } catch {
    return undefined;
  }
}
