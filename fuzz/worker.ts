/**
 * One fuzz target in a child process, so that nothing a target does can take the runner down: a
 * hang (the runner sees no new input for --timeout seconds), a heap exhausted under
 * --max-old-space-size, or a native abort (a Rust panic in the tokenizers binding aborts the
 * whole process). Each input is written to `lastInput` before it runs, which is then the input
 * that did it; the file also serves as the heartbeat (its mtime).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Coverage, fuzzLoop } from './engine.js';
import type { EngineResult, FuzzTarget } from './engine.js';
import { removeScratch } from './oracle.js';

export interface WorkerJob {
  target: string;
  runs: number;
  seconds: number;
  seed: number;
  corpusDir: string;
  lastInput: string;
}

export type WorkerReply = Omit<EngineResult, 'corpus' | 'finding'> & {
  corpusBefore: number;
  corpusAfter: number;
  finding?: { input: string; error: string };
};

/** The saved inputs of a target, oldest name first. */
export function readCorpus(dir: string): Buffer[] {
  mkdirSync(dir, { recursive: true });
  return readdirSync(dir).filter((f) => !f.startsWith('.')).sort().map((f) => readFileSync(join(dir, f)));
}

export function saveInput(dir: string, data: Buffer, prefix = ''): string {
  const file = join(dir, `${prefix}${createHash('sha1').update(data).digest('hex').slice(0, 16)}`);
  writeFileSync(file, data);
  return file;
}

async function main(job: WorkerJob): Promise<WorkerReply> {
  const cov = new Coverage('/fuzz/.build/src/');
  const target = (await import(`./targets/${job.target}.fuzz.js`)) as FuzzTarget;
  const seeds = readCorpus(job.corpusDir);
  const result = await fuzzLoop(target, seeds, cov, {
    runs: job.runs,
    seconds: job.seconds,
    seed: job.seed,
    coverUrl: '/fuzz/.build/src/',
    onInput: (d) => writeFileSync(job.lastInput, d),
  });
  if (!result.finding) rmSync(job.lastInput, { force: true });
  cov.dispose();
  removeScratch();
  const known = new Set(seeds.map((s) => s.toString('base64')));
  const fresh = result.corpus.filter((c) => !known.has(c.toString('base64')));
  for (const c of fresh) saveInput(job.corpusDir, c);
  const { corpus: _corpus, finding, ...rest } = result;
  return { ...rest, corpusBefore: seeds.length, corpusAfter: seeds.length + fresh.length, ...(finding && { finding: { input: finding.input.toString('base64'), error: finding.error } }) };
}

// Started by run.ts with fork(): the job comes as the first message, the reply goes back the same way.
if (process.send) {
  process.once('message', (job: WorkerJob) => {
    void main(job).then((reply) => process.send?.(reply, () => process.exit(0)));
  });
}
