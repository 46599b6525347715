/**
 * scripts/build-native.mjs runs as npm's install script, so it must never fail an install: without a
 * working compiler, or with CELENS_NATIVE=0, it exits 0 and says in one line why the WebAssembly
 * kernels will run. Run on a copy of native/ (a failed node-gyp rebuild removes its build folder).
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-build-native-'));
  await cp('native', join(dir, 'native'), { recursive: true, filter: (src) => !src.includes(`native/build`) });
  await cp('scripts/build-native.mjs', join(dir, 'scripts/build-native.mjs'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

test('a compiler that fails: exit 0, one line of why, no addon', async () => {
  const { stderr } = await run(process.execPath, [join(dir, 'scripts/build-native.mjs')], { env: { ...process.env, CC: 'false', CXX: 'false' }, timeout: 120_000 });
  expect(stderr).toMatch(/^celens: native kernels not built \(node-gyp exit \d+\); the WebAssembly kernels will be used/);
  expect(existsSync(join(dir, 'native/build/Release/celens_native.node'))).toBe(false);
});

test('CELENS_NATIVE=0: exit 0 without building', async () => {
  const { stderr } = await run(process.execPath, [join(dir, 'scripts/build-native.mjs')], { env: { ...process.env, CELENS_NATIVE: '0' }, timeout: 60_000 });
  expect(stderr.trim()).toBe('celens: CELENS_NATIVE=0: native kernels not built; the WebAssembly kernels will be used');
  expect(existsSync(join(dir, 'native/build/Release/celens_native.node'))).toBe(false);
});
