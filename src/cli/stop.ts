/**
 * Ctrl-C for the long, resumable commands (attribute, rerank, prune): the first press asks the job
 * to stop after the unit in flight, so finished work is kept and a rerun resumes; a second press
 * exits at once with 130.
 */

export interface StopRequest {
  /** Set by the first Ctrl-C; the job polls it between units of work. */
  requested: boolean;
  /** Removes the handler (call in a finally block once the job is done). */
  release(): void;
}

/** Installs the handler; `what` completes "celens: stopping after …" (e.g. "the cell in flight"). */
export function stopOnCtrlC(what: string): StopRequest {
  const onSigint = (): void => {
    stop.requested = true;
    process.stderr.write(`\ncelens: stopping after ${what} (Ctrl-C again to abort now)\n`);
    process.once('SIGINT', () => process.exit(130));
  };
  const stop: StopRequest = { requested: false, release: () => process.removeListener('SIGINT', onSigint) };
  process.once('SIGINT', onSigint);
  return stop;
}
