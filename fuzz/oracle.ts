/**
 * The one rule every fuzz target enforces: a bad input may only end in the project's own typed
 * error (a `CelensError` subclass) with a one-line message. Anything else — a TypeError, a
 * RangeError from an absurd allocation, a raw JSON SyntaxError, a Node errno error — is a finding.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CelensError } from '../src/errors.js';

export async function onlyCelensErrors(fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof CelensError)) throw e;
    if (e.message.includes('\n')) throw new Error(`${e.name} message is not one line: ${JSON.stringify(e.message.slice(0, 300))}`);
  }
}

let dir: string | undefined;

/** A scratch folder for targets that read files, made once per process (or worker). */
export function scratch(): string {
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), `celens-fuzz-${process.pid}-`)); // the runner cleans up after a killed worker by pid
  }
  return dir;
}

/** Removes the scratch folder (the fuzz worker calls it when its loop ends). */
export function removeScratch(): void {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
}
