/** `celens report` end to end on small made inputs: the files it writes, and its errors. */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rasterize } from '../../src/report/render.js';
import { runCli } from '../helpers/cli.js';
import { writeAttributions, writeSet, writeSweep } from '../report/fixtures.js';
import { xmlProblem } from '../report/xml.js';

let tmp: string;
let attributions: string;
let sweep: string;
let sets: string[];
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-report-'));
  attributions = await writeAttributions(path.join(tmp, 'attr.jsonl'), [
    { layers: [[1, -2, 0], [0, 3, 1]], relevant: true },
    { layers: [[0, 1, 0], [2, 0, -1]], relevant: false },
  ]);
  sweep = await writeSweep(path.join(tmp, 'sweep.jsonl'));
  sets = [
    await writeSet(path.join(tmp, 'rel.json'), { 'layer.0.ffn': [0, 1], 'layer.1.ffn': [1] }, { set: 'toy/top-p:50', perLayer: [2, 1] }),
    await writeSet(path.join(tmp, 'nonrel.json'), { 'layer.0.ffn': [1, 2] }),
  ];
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

test('writes one SVG and one spec per figure, and index.html with them inline', async () => {
  const out = path.join(tmp, 'report');
  const r = await runCli(['report', '--attributions', attributions, '--sweep', sweep, '--sets', ...sets, '--out', out, '--split', '--title', 'Toy report']);
  expect(r.stderr).toContain(`celens: wrote 5 figures (16 files) to ${out}`);
  expect(r.code).toBe(0);
  expect(r.stderr).not.toContain('warning');
  const names = ['heatmap-ffn.pre', 'pruning-nDCG@10', 'pruning-RR@10', 'overlap', 'jaccard'];
  expect((await readdir(out)).sort()).toEqual(['index.html', ...names.flatMap((n) => [`${n}.svg`, `${n}.vl.json`, `${n}.png`])].sort());
  for (const n of names) {
    const svg = await readFile(path.join(out, `${n}.svg`), 'utf8');
    expect(xmlProblem(svg)).toBeUndefined();
    // The PNG: 2× the SVG's size, and no ink in its outer 3 px (vega pads by 5: ink there is a clipped label or legend).
    const png = await readFile(path.join(out, `${n}.png`));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const size = (a: string): number => Number(new RegExp(`<svg[^>]* ${a}="([\\d.]+)"`).exec(svg)?.[1]);
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([Math.round(2 * size('width')), Math.round(2 * size('height'))]);
    const { width, height, rgba } = await rasterize(svg);
    const inked: string[] = [];
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (x >= 3 && y >= 3 && x < width - 3 && y < height - 3) continue;
        const i = 4 * (y * width + x);
        if ((rgba[i] as number) + (rgba[i + 1] as number) + (rgba[i + 2] as number) < 3 * 200) inked.push(`${x},${y}`);
      }
    }
    expect([n, inked.slice(0, 5)]).toEqual([n, []]);
    const spec = JSON.parse(await readFile(path.join(out, `${n}.vl.json`), 'utf8')) as { $schema: string };
    expect(spec.$schema).toContain('vega-lite');
  }
  const html = await readFile(path.join(out, 'index.html'), 'utf8');
  expect(html).toContain('<h1>Toy report</h1>');
  expect(html.match(/<svg /g)).toHaveLength(5);
  for (const f of [attributions, sweep, ...sets]) expect(html).toContain(`<code>${f}</code>`);
  expect(html).toContain('relevant pairs (n = 1)');
  expect(html).toContain('toy/top-p:50');
});

test('--metric picks the pruning figures; sweeps on two collections get their names in the figure files', async () => {
  const out = path.join(tmp, 'two-sweeps');
  const other = path.join(tmp, 'other.jsonl');
  await writeFile(other, (await readFile(await writeSweep(other), 'utf8')).replace('"collection":"toy-collection"', '"collection":"another-collection"'));
  const r = await runCli(['report', '--sweep', sweep, other, '--metrics', 'RR@10', '--out', out]);
  expect(r.code).toBe(0);
  expect((await readdir(out)).filter((f) => f.endsWith('.svg')).sort()).toEqual(['pruning-other-RR@10.svg', 'pruning-sweep-RR@10.svg']);
});

test('--split without relevance labels warns and draws all pairs', async () => {
  const plain = await writeAttributions(path.join(tmp, 'plain.jsonl'), [{ layers: [[1, 2]] }]);
  const r = await runCli(['report', '--attributions', plain, '--split', '--out', path.join(tmp, 'plain')]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('the heatmap shows all pairs');
});

test('errors: bad files name file and line; nothing to draw; unknown metric', async () => {
  const bad = path.join(tmp, 'bad-sweep.jsonl');
  await writeFile(bad, '{"celens":"prune"}\n{"strategy":"top","budget":0.1,"metrics":{"nDCG@10":"x"}}\n');
  const r1 = await runCli(['report', '--sweep', bad, '--out', path.join(tmp, 'x')]);
  expect(r1.code).toBe(1);
  expect(r1.stderr).toBe(`celens: ${bad}:2: metric nDCG@10 is not a finite number ("x")\n`);

  const badSet = path.join(tmp, 'bad-set.json');
  await writeFile(badSet, '{\n "layer.0.ffn": [1],\n "layer.x.ffn": [2]\n}\n');
  const r2 = await runCli(['report', '--sets', badSet, '--out', path.join(tmp, 'x')]);
  expect(r2.stderr).toBe(`celens: ${badSet}:3: unknown mask target 'layer.x.ffn' (targets: layer.{l}.ffn, layer.{l}.attn.heads, layer.{l}.ffn.pre, layer.{l}.ffn.post)\n`);

  const badAttr = path.join(tmp, 'bad-attr.jsonl');
  await writeFile(badAttr, '{"celens":"attribute","version":1,"method":"nig","model":"m","count":1,"options":{}}\n{"index":0\n');
  const r3 = await runCli(['report', '--attributions', badAttr, '--out', path.join(tmp, 'x')]);
  expect(r3.code).toBe(1);
  expect(r3.stderr).toContain(`celens: ${badAttr}:2: `);

  const headerOnly = path.join(tmp, 'header-only.jsonl');
  await writeFile(headerOnly, '{"celens":"attribute","version":1,"method":"nig","model":"m","count":0,"options":{}}\n');
  const r6 = await runCli(['report', '--attributions', headerOnly, '--out', path.join(tmp, 'x')]);
  expect(r6.stderr).toBe(`celens: ${headerOnly}: no attribution records, only a header\n`);

  const r4 = await runCli(['report', '--out', path.join(tmp, 'x')]);
  expect(r4.stderr).toBe('celens: nothing to draw: give --attributions, --sweep and/or --sets\n');

  const r5 = await runCli(['report', '--sweep', sweep, '--metric', 'AP', '--out', path.join(tmp, 'x')]);
  expect(r5.stderr).toBe(`celens: ${sweep}: no metric AP in this sweep (it has nDCG@10, RR@10)\n`);
});
