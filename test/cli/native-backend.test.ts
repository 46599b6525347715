/**
 * `--backend tensorflow` / `tensorflow-gpu` end to end. The real packages (@tensorflow/tfjs-node,
 * -gpu) cannot install here, so the built CLI runs in a child process whose module resolution maps
 * them to a stand-in (helpers/fake-tfjs-node: tfjs' cpu kernels registered as 'tensorflow', as the
 * real package registers its own, and a line on stderr per thread that loads it). What is checked
 * is celens' side: the package is imported only when asked for, the backend is selected in every
 * thread that computes, a job runs in one thread by default (TensorFlow uses every core itself),
 * and the numbers are those of the same kernels under their own name. Without the package, one
 * clear line says what to install; with one that fails as it loads, one line gives its error.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yargs from 'yargs';
import { withBackend, withWorkers } from '../../src/cli/common.js';
import { defaultWorkers, poolSize } from '../../src/jobs/pool.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';

const run = promisify(execFile);
const REGISTER = join(process.cwd(), 'test/helpers/fake-tfjs-node/register.mjs');
const LOADED = /fake @tensorflow\/tfjs-node loaded/g;

async function cli(args: string[], fake = true): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...(fake ? ['--import', REGISTER] : []), 'dist/cli/bin.js', ...args], { timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}

const SCORE = ['score', 'weights/celens-ce-tiny', '--query', 'what causes the tides', '--passage', "The moon's gravity pulls the ocean.", '--passage', 'Stocks fell.'];

describe('--workers defaults by backend', () => {
  const parse = (args: string[]): { workers: number } => withWorkers(withBackend(yargs())).parseSync(args) as unknown as { workers: number };
  test('every core for wasm and cpu, one thread for tensorflow and tensorflow-gpu, and a given count stays', () => {
    expect(defaultWorkers(undefined)).toBe(availableParallelism());
    // The pool's own default (library callers that pass no count) is the same.
    expect(poolSize(undefined, 'tensorflow')).toBe(1);
    expect(poolSize(undefined, 'wasm')).toBe(availableParallelism());
    expect(parse([]).workers).toBe(availableParallelism());
    expect(parse(['--backend', 'cpu']).workers).toBe(availableParallelism());
    expect(parse(['--backend', 'tensorflow']).workers).toBe(1);
    expect(parse(['--backend', 'tensorflow-gpu']).workers).toBe(1);
    expect(parse(['--backend', 'tensorflow', '--workers', '3']).workers).toBe(3);
  });
});

describe('celens with --backend tensorflow (a stand-in for tfjs-node)', () => {
  test('score: the package is loaded once, and the scores are the cpu kernels\' to the last digit', async () => {
    const [tfRun, cpuRun] = await Promise.all([cli([...SCORE, '--backend', 'tensorflow']), cli([...SCORE, '--backend', 'cpu'])]);
    expect(tfRun.code).toBe(0);
    expect(tfRun.stderr.match(LOADED)).toHaveLength(1);
    expect(cpuRun.stderr.match(LOADED)).toBeNull();
    expect(tfRun.stdout).toBe(cpuRun.stdout);
    expect(tfRun.stdout.trim().split('\n')).toHaveLength(2);
  });

  test('attribute: one thread by default, every worker loads the backend with --workers 2, the same records', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'celens-native-'));
    const args = ['attribute', FIXTURE_DIR, '--inputs', join(FIXTURE_DIR, 'reference.safetensors'), '--steps', '4', '--backend', 'tensorflow'];
    const one = await cli([...args, '--out', join(dir, 'one.jsonl')]);
    expect(one.code).toBe(0);
    expect(one.stderr.match(LOADED)).toHaveLength(1);
    const two = await cli([...args, '--workers', '2', '--out', join(dir, 'two.jsonl')]);
    expect(two.code).toBe(0);
    // The calling thread selects the backend, then each of the two workers.
    expect(two.stderr.match(LOADED)).toHaveLength(3);
    expect(await readFile(join(dir, 'two.jsonl'), 'utf8')).toBe(await readFile(join(dir, 'one.jsonl'), 'utf8'));
  });

  test('a package that fails as it loads: exit 1 and one line with its error', async () => {
    const r = await cli([...SCORE, '--backend', 'tensorflow-gpu']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--backend tensorflow-gpu: @tensorflow\/tfjs-node-gpu is installed but failed to load \(libtensorflow\.so\.2: cannot open shared object file/);
  });

  test('without the package: exit 1 and one line naming what to install', async () => {
    const r = await cli([...SCORE, '--backend', 'tensorflow-gpu'], false);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--backend tensorflow-gpu needs the optional package @tensorflow\/tfjs-node-gpu, which is not installed \(npm install @tensorflow\/tfjs-node-gpu\)/);
  });
});
