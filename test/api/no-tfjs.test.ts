/**
 * `celens/ir` and `celens/analysis` load no tfjs: the static import graph of each built entry
 * point (dist/, where type-only imports are gone) is walked module by module, and no module it
 * reaches may import '@tensorflow/…'. Run after the build (npm test's pretest makes dist/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();

/** Every specifier a module imports or re-exports statically, or requires (backend/tf.ts requires tfjs). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^\s*(?:import|export)\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) out.push(m[1] as string);
  for (const m of source.matchAll(/\b(?:require|createRequire\([^()]*\))\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** Modules reached from `entry` and the bare specifiers each imports. */
function walk(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [resolve(entry)];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    const specs = specifiers(readFileSync(file, 'utf8'));
    seen.set(file, specs.filter((s) => !s.startsWith('.')));
    for (const s of specs) if (s.startsWith('.')) todo.push(resolve(dirname(file), s));
  }
  return seen;
}

describe.each(['ir', 'analysis'])('celens/%s', (name) => {
  const entry = join(ROOT, 'dist', name, 'index.js');

  test('is the package export of that name', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, { default: string; types: string }> };
    expect(pkg.exports[`./${name}`]).toEqual({ types: `./dist/${name}/index.d.ts`, default: `./dist/${name}/index.js` });
    expect(existsSync(entry)).toBe(true);
  });

  test('reaches no module that imports @tensorflow/', () => {
    const graph = walk(entry);
    const offenders = [...graph].filter(([, bare]) => bare.some((s) => s.startsWith('@tensorflow/'))).map(([f, bare]) => `${relative(ROOT, f)} → ${bare.join(', ')}`);
    expect(offenders).toEqual([]);
    expect(graph.size).toBeGreaterThan(5);
  });
});

test('the walk finds tfjs where it is: the root entry reaches it', () => {
  const graph = walk(join(ROOT, 'dist', 'index.js'));
  expect([...graph.values()].flat()).toContain('@tensorflow/tfjs');
});
