/** The README's main job runs on the embedded model and shows its machinery. */
import { runCli } from '../helpers/cli.js';

test('celens demo: NIG neurons per layer, masked vs random scores, completeness', async () => {
  const r = await runCli(['demo', '--backend', 'wasm']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/UNTRAINED/);
  expect(r.stdout).toMatch(/top neurons by NIG/);
  for (let l = 0; l < 4; l++) expect(r.stdout).toMatch(new RegExp(`layer ${l}: #\\d+`));
  expect(r.stdout.match(/→/g)?.length).toBeGreaterThanOrEqual(6);
  const m = /mean \|Δ score\|: top neurons ([\d.]+), random neurons ([\d.]+)/.exec(r.stdout);
  expect(m).not.toBeNull();
  const completeness = Number(/completeness error ≤ ([\d.e+-]+)/.exec(r.stdout)?.[1]);
  expect(completeness).toBeLessThan(0.1);
});
