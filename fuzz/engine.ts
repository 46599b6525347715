/**
 * A small coverage-guided fuzzer in the manner of libFuzzer, for Node versions where Jazzer.js's
 * native addon cannot load (see docs/fuzzing.md). Coverage is V8's own block coverage, read through
 * the inspector after every execution (`Profiler.takePreciseCoverage` in binary mode, which resets
 * the flags): an input that runs a function or a block no earlier input ran joins the corpus.
 * Mutations are libFuzzer's usual ones (bit and byte changes, inserts, erases, copies, dictionary
 * tokens, ASCII-number swaps, cross-over) stacked 1–4 deep, plus line edits for text formats.
 */
import { Session } from 'node:inspector';

/** What a target file exports (the same shape Jazzer.js runs: `fuzz(data: Buffer)`). */
export interface FuzzTarget {
  fuzz(data: Buffer): unknown;
  /** Tokens the mutator may insert (field names, magic values). */
  dictionary?: readonly string[];
  /** Longest input the mutator makes. @default 4096 */
  maxLen?: number;
}

export interface EngineOptions {
  runs: number;
  /** Wall-clock cap in seconds. */
  seconds: number;
  seed: number;
  /** Called with each input right before it runs (the watchdog's copy for a hang or a crash). */
  onInput?: (data: Buffer) => void;
  /** Only scripts whose URL contains this count as coverage (the code under test). */
  coverUrl: string;
}

export interface EngineResult {
  execs: number;
  seconds: number;
  /** Blocks (functions and branches inside them) covered by the corpus. */
  cov: number;
  functions: number;
  /** Inputs that added coverage (seeds that did included). */
  corpus: Buffer[];
  slowestMs: number;
  finding?: { input: Buffer; error: string };
}

type Range = { startOffset: number; endOffset: number; count: number };
type ScriptCoverage = { url: string; functions: Array<{ ranges: Range[] }> };

/** V8 block coverage through a same-thread inspector session (its callbacks run synchronously). */
export class Coverage {
  private readonly session = new Session();
  /** Blocks seen uncovered at least once, per function: the ones a later input may newly cover. */
  private readonly blocks = new Map<string, Set<string>>();
  readonly covered = new Set<string>();

  constructor(private readonly coverUrl: string) {
    this.session.connect();
    this.post('Profiler.enable');
    // Must start before the target is imported: only functions compiled after it get block counters.
    this.post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }

  private post(method: string, params?: object): unknown {
    let out: unknown;
    let err: Error | null = null;
    this.session.post(method, params, (e, r) => {
      err = e;
      out = r;
    });
    if (err) throw err;
    return out;
  }

  /** Features of the run since the last call; returns how many are new. */
  collect(): number {
    const { result } = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let fresh = 0;
    const add = (key: string): void => {
      if (!this.covered.has(key)) {
        this.covered.add(key);
        fresh++;
      }
    };
    for (const script of result) {
      if (!script.url.includes(this.coverUrl)) continue;
      for (const fn of script.functions) {
        const [whole, ...inner] = fn.ranges;
        if (!whole || whole.count === 0) continue;
        const fnKey = `${script.url}:${whole.startOffset}`;
        add(fnKey);
        // Binary mode lists a function's uncovered blocks; the others it ran.
        const known = this.blocks.get(fnKey) ?? new Set<string>();
        this.blocks.set(fnKey, known);
        const zero = new Set<string>();
        for (const r of inner) if (r.count === 0) zero.add(`${fnKey}:${r.startOffset}-${r.endOffset}`);
        for (const b of known) if (!zero.has(b)) add(b);
        for (const b of zero) known.add(b);
      }
    }
    return fresh;
  }

  get functions(): number {
    return [...this.covered].filter((k) => !k.includes('-')).length;
  }

  dispose(): void {
    this.session.disconnect();
  }
}

/** xorshift32: reproducible mutations from --seed. */
export class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.s = x >>> 0);
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.below(a.length)] as T;
  }
}

const INTERESTING = ['0', '-1', '1', '-0', '255', '65535', '2147483647', '2147483648', '4294967296', '9007199254740993', '18446744073709551615', '1e308', '1e-400', 'NaN', 'Infinity', '0.5', '1.0', '3'];
const BYTES = [0, 0xff, 0x7f, 0x80, 0x0a, 0x0d, 0x09, 0x20, 0x22, 0x2c, 0x3a, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x2d, 0x5c];

/** One to four stacked mutations of `src` (and maybe a splice with `other`). */
export function mutate(src: Buffer, other: Buffer, dict: readonly string[], maxLen: number, rng: Rng): Buffer {
  let b: Buffer = Buffer.from(src);
  const depth = 1 + rng.below(4);
  for (let d = 0; d < depth; d++) {
    const at = rng.below(b.length + 1);
    const insert = (x: Buffer): Buffer => Buffer.concat([b.subarray(0, at), x, b.subarray(at)]);
    switch (rng.below(12)) {
      case 0: if (b.length) { const i = rng.below(b.length); b[i] = (b[i] ?? 0) ^ (1 << rng.below(8)); } break;
      case 1: if (b.length) b[rng.below(b.length)] = rng.pick(BYTES); break;
      case 2: b = insert(Buffer.from([rng.below(256)])); break;
      case 3: b = insert(Buffer.alloc(1 + rng.below(64), rng.pick(BYTES))); break;
      case 4: { const n = 1 + rng.below(Math.min(64, b.length)); b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)]); break; }
      case 5: { const s = rng.below(b.length); b = insert(Buffer.from(b.subarray(s, s + 1 + rng.below(128)))); break; }
      case 6: case 7: if (dict.length) b = insert(Buffer.from(rng.pick(dict))); break;
      case 8: { // replace an ASCII number with an interesting one
        const text = b.toString('latin1');
        const nums = [...text.matchAll(/-?\d+(\.\d+)?/g)];
        const m = nums.length ? rng.pick(nums) : undefined;
        if (m && m.index !== undefined) b = Buffer.concat([b.subarray(0, m.index), Buffer.from(rng.pick(INTERESTING)), b.subarray(m.index + m[0].length)]);
        break;
      }
      case 9: { // line edits: drop, duplicate or swap lines; CRLF endings
        const lines = b.toString('latin1').split('\n');
        const i = rng.below(lines.length);
        const j = rng.below(lines.length);
        const op = rng.below(4);
        if (op === 0) lines.splice(i, 1);
        else if (op === 1) lines.splice(i, 0, lines[j] ?? '');
        else if (op === 2) [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        else lines[i] = `${lines[i] ?? ''}\r`;
        b = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 10: { // cross-over
        const s = rng.below(other.length);
        b = Buffer.concat([b.subarray(0, at), other.subarray(s, s + 1 + rng.below(512))]);
        break;
      }
      default: { // a little-endian u64 at 0 or at a random place (the safetensors length prefix)
        const v = rng.pick([0n, 1n, 2n, 7n, 8n, 2n ** 31n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 60n, 2n ** 64n - 1n, BigInt(Math.max(0, b.length - 8))]);
        const pos = rng.below(3) === 0 ? rng.below(Math.max(1, b.length - 8)) : 0;
        if (b.length >= pos + 8) b.writeBigUInt64LE(v, pos);
        break;
      }
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen) : b;
}

/** Runs the seeds, then mutations of the corpus, until `runs` executions, `seconds` or a finding. */
export async function fuzzLoop(target: FuzzTarget, seeds: Buffer[], cov: Coverage, o: EngineOptions): Promise<EngineResult> {
  const rng = new Rng(o.seed >>> 0);
  const maxLen = target.maxLen ?? 4096;
  const dict = target.dictionary ?? [];
  const corpus: Buffer[] = [];
  const start = performance.now();
  let execs = 0;
  let slowestMs = 0;
  const queue = seeds.length > 0 ? [...seeds] : [Buffer.alloc(0)];
  cov.collect(); // drop what importing the target ran
  while (execs < o.runs && performance.now() - start < o.seconds * 1000) {
    const input = queue.shift() ?? mutate(rng.pick(corpus.length ? corpus : seeds), rng.pick(corpus.length ? corpus : seeds), dict, maxLen, rng);
    o.onInput?.(input);
    const t0 = performance.now();
    execs++;
    try {
      await target.fuzz(input);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      return { execs, seconds: (performance.now() - start) / 1000, cov: cov.covered.size, functions: cov.functions, corpus, slowestMs, finding: { input, error } };
    }
    slowestMs = Math.max(slowestMs, performance.now() - t0);
    if (cov.collect() > 0) corpus.push(input);
  }
  return { execs, seconds: (performance.now() - start) / 1000, cov: cov.covered.size, functions: cov.functions, corpus, slowestMs };
}
