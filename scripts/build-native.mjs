// Builds celens' optional native kernels (native/*.c → native/build/Release/celens_native.node)
// with node-gyp, which npm ships and puts on the PATH of its scripts (npm install and npm run build
// run this). Never fails the install: without a C compiler, Node's headers or an x86-64 CPU,
// it says why and celens uses its WebAssembly kernel (src/backend/native.ts). Skips the build
// where the addon is newer than its sources. CELENS_NATIVE=0 skips it too.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native');
const addon = join(dir, 'build', 'Release', 'celens_native.node');
const sources = readdirSync(dir).filter((f) => /\.(c|h|gyp)$/.test(f)).map((f) => join(dir, f));
const say = (msg) => process.stderr.write(`celens: ${msg}\n`);

if (process.env.CELENS_NATIVE === '0' || process.env.CELENS_NATIVE === 'false') {
  say('CELENS_NATIVE=0: native kernels not built; the WebAssembly kernels will be used');
  process.exit(0);
}
if (process.arch !== 'x64') {
  say(`native kernels are for x86-64 only (this is ${process.arch}); the WebAssembly kernels will be used`);
  process.exit(0);
}
if (existsSync(addon) && sources.every((s) => statSync(s).mtimeMs < statSync(addon).mtimeMs)) process.exit(0);

// node-gyp: on the PATH inside npm scripts; else the copy inside npm's own folder.
const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const onPath = spawnSync('node-gyp', ['--version'], { stdio: 'ignore' }).status === 0;
const [cmd, pre] = onPath ? ['node-gyp', []] : [process.execPath, [bundled]];
if (!onPath && !existsSync(bundled)) {
  say('node-gyp not found: native kernels not built; the WebAssembly kernels will be used');
  process.exit(0);
}
// Node's own headers where this Node has them (Debian's /usr/include/node, an official tarball's
// include/node), so node-gyp need not download them; npm passes its nodedir setting itself.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir === undefined && existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
const t0 = Date.now();
const r = spawnSync(cmd, [...pre, 'rebuild', '--directory', dir, ...nodedir], { encoding: 'utf8', env: process.env });
if (r.status !== 0 || !existsSync(addon)) {
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').filter((l) => !/^gyp (info|ERR! (System|command|cwd|node -v|node-gyp -v|not ok))/.test(l)).slice(-8).join('\n  ');
  say(`native kernels not built (node-gyp ${r.error ? r.error.message : `exit ${r.status}`}); the WebAssembly kernels will be used. node-gyp said:\n  ${tail}`);
  process.exit(0);
}
say(`native kernels built in ${((Date.now() - t0) / 1000).toFixed(1)} s (${addon.slice(root.length + 1)})`);
