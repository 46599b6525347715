/**
 * Loaded with `node --import`: at exit, prints the process's peak resident set (VmHWM, worker
 * threads included, they share the process) as one line `celens-bench-peak-rss-kib N` on stderr.
 */
import { readFileSync, writeSync } from 'node:fs';

process.on('exit', () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (m) writeSync(2, `\ncelens-bench-peak-rss-kib ${m[1]}\n`);
});
