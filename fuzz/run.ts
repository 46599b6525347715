/**
 * `npm run fuzz`: every target (or those named) for a bounded number of runs, two at a time, one
 * summary line each; exit 1 on any finding (a non-CelensError, a hang past --timeout, a worker out
 * of its --heap-mb or past --rss-mb, a native abort), with the input saved under fuzz/findings/.
 *
 *   node fuzz/.build/fuzz/run.js [--runs 2000] [--seconds 60] [--jobs 2] [--timeout 10]
 *     [--heap-mb 768] [--rss-mb 3072] [--seed 1] [target…]
 *   node fuzz/.build/fuzz/run.js --replay TARGET FILE…    (run saved inputs once, print errors)
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEEDS } from './seeds.js';
import { saveInput } from './worker.js';
import type { WorkerJob, WorkerReply } from './worker.js';
import type { FuzzTarget } from './engine.js';
import { removeScratch } from './oracle.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FUZZ_DIR = resolve(HERE, '../../'); // fuzz/ (this file runs from fuzz/.build/fuzz/)

interface Options { runs: number; seconds: number; jobs: number; timeout: number; heapMb: number; rssMb: number; seed: number; targets: string[] }

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 2000, seconds: 60, jobs: 2, timeout: 10, heapMb: 768, rssMb: 3072, seed: 1, targets: [] };
  const num: Record<string, keyof Omit<Options, 'targets'>> = { '--runs': 'runs', '--seconds': 'seconds', '--jobs': 'jobs', '--timeout': 'timeout', '--heap-mb': 'heapMb', '--rss-mb': 'rssMb', '--seed': 'seed' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const key = num[a];
    if (key) {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      o[key] = v;
    } else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else o.targets.push(a);
  }
  return o;
}

export function allTargets(): string[] {
  return readdirSync(join(HERE, 'targets')).filter((f) => f.endsWith('.fuzz.js')).map((f) => f.slice(0, -'.fuzz.js'.length)).sort();
}

/** Writes the seeds of a target into its corpus folder (existing inputs stay). */
async function seedCorpus(target: string): Promise<string> {
  const dir = join(FUZZ_DIR, 'corpus', target);
  mkdirSync(dir, { recursive: true });
  for (const s of (await SEEDS[target]?.()) ?? []) saveInput(dir, s, 'seed-');
  return dir;
}

interface Outcome { target: string; reply?: WorkerReply; finding?: { kind: string; input: Buffer; error: string } }

/** Resident memory of a process in MB from /proc (0 where there is no /proc). */
function rssMb(pid: number | undefined): number {
  try {
    return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 2 ** 20;
  } catch {
    return 0;
  }
}

function runTarget(target: string, corpusDir: string, o: Options): Promise<Outcome> {
  const lastInput = join(corpusDir, `.last-input`);
  rmSync(lastInput, { force: true });
  const current = (): Buffer => (existsSync(lastInput) ? readFileSync(lastInput) : Buffer.alloc(0));
  const job: WorkerJob = { target, runs: o.runs, seconds: o.seconds, seed: o.seed, corpusDir, lastInput };
  const child = fork(fileURLToPath(new URL('./worker.js', import.meta.url)), [], { execArgv: [`--max-old-space-size=${o.heapMb}`], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20000)));
  child.send(job);
  return new Promise((done) => {
    let beat = 0;
    let still = 0;
    let settled = false;
    const finish = (out: Outcome): void => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      child.kill('SIGKILL');
      // A worker killed or dead mid-input leaves its scratch folder (oracle.ts) behind.
      for (const f of readdirSync(tmpdir())) if (f.startsWith(`celens-fuzz-${child.pid}-`)) rmSync(join(tmpdir(), f), { recursive: true, force: true });
      done(out);
    };
    const watch = setInterval(() => {
      // The worker rewrites lastInput before every input: an mtime that stops moving is a hang
      // (a minute of grace while the target imports, before the first input).
      const now = existsSync(lastInput) ? statSync(lastInput).mtimeMs : -1;
      still = now === beat ? still + 0.25 : 0;
      beat = now;
      if (still >= (now < 0 ? 60 : o.timeout)) finish({ target, finding: { kind: 'timeout', input: current(), error: `one input ran for more than ${o.timeout} s` } });
      const rss = rssMb(child.pid);
      if (rss > o.rssMb) finish({ target, finding: { kind: 'memory', input: current(), error: `worker RSS ${rss.toFixed(0)} MB over --rss-mb ${o.rssMb}` } });
    }, 250);
    child.on('message', (reply: WorkerReply) => {
      const finding = reply.finding && { kind: 'crash', input: Buffer.from(reply.finding.input, 'base64'), error: reply.finding.error };
      finish({ target, reply, ...(finding && { finding }) });
    });
    child.on('exit', (code, signal) => {
      // A native abort (exit 134 / SIGABRT) or V8 out of heap: the last input did it.
      const why = stderr.split('\n').filter((l) => /panicked|FATAL|heap|Error|abort/i.test(l)).slice(0, 4).join('\n') || stderr.slice(-2000);
      finish({ target, finding: { kind: signal === 'SIGABRT' || code === 134 ? 'abort' : 'exit', input: current(), error: `worker died (code ${code}, signal ${signal})\n${why}` } });
    });
  });
}

function summary(out: Outcome): string {
  const r = out.reply;
  const stats = r ? `${r.execs} execs in ${r.seconds.toFixed(1)} s (${Math.round(r.execs / Math.max(r.seconds, 1e-3))}/s), cov ${r.cov} (${r.functions} fns), corpus ${r.corpusBefore}→${r.corpusAfter}, slowest ${r.slowestMs.toFixed(0)} ms` : '';
  return `fuzz ${out.target.padEnd(17)} ${out.finding ? `FINDING (${out.finding.kind})` : 'ok'}  ${stats}`;
}

async function replay(target: string, files: string[]): Promise<number> {
  const t = (await import(`./targets/${target}.fuzz.js`)) as FuzzTarget;
  let bad = 0;
  for (const f of files) {
    try {
      await t.fuzz(readFileSync(f));
      console.log(`${f}: ok`);
    } catch (e) {
      bad++;
      console.log(`${f}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
  return bad > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--replay') return replay(argv[1] ?? '', argv.slice(2));
  const o = parseArgs(argv);
  const names = o.targets.length > 0 ? o.targets : allTargets();
  const unknown = names.filter((n) => !allTargets().includes(n));
  if (unknown.length > 0) throw new Error(`no fuzz target ${unknown.join(', ')} (have: ${allTargets().join(', ')})`);
  const queue = [...names];
  const outcomes: Outcome[] = [];
  const lane = async (): Promise<void> => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const out = await runTarget(t, await seedCorpus(t), o);
      console.log(summary(out));
      if (out.finding) {
        const dir = join(FUZZ_DIR, 'findings');
        mkdirSync(dir, { recursive: true });
        const file = saveInput(dir, out.finding.input, `${t}-`);
        writeFileSync(`${file}.txt`, `${out.finding.kind}\n${out.finding.error}\n`);
        console.log(`  input saved to ${file} (replay: node fuzz/.build/fuzz/run.js --replay ${t} ${file})\n  ${out.finding.error.split('\n').slice(0, 8).join('\n  ')}`);
      }
      outcomes.push(out);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.jobs, names.length) }, lane));
  const execs = outcomes.reduce((a, x) => a + (x.reply?.execs ?? 0), 0);
  const findings = outcomes.filter((x) => x.finding).length;
  console.log(`fuzz: ${outcomes.length} targets, ${execs} execs, ${findings} finding${findings === 1 ? '' : 's'}`);
  return findings > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    removeScratch();
    process.exit(code);
  },
  (e: unknown) => {
    console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
