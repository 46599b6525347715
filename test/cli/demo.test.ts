/** The README's main job runs on the embedded model: relevance neurons per layer, masked vs random. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MODEL_DIR } from '../../src/defaults.js';
import { runCli } from '../helpers/cli.js';

test('celens demo: relevance neurons per layer, masked vs random scores, completeness', async () => {
  const layers = (JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'config.json'), 'utf8')) as { num_hidden_layers: number }).num_hidden_layers;
  const r = await runCli(['demo', '--backend', 'wasm']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/trained from scratch/);
  expect(r.stdout).toMatch(/relevance neurons: highest mean NIG over the relevant pairs \(5 pairs/);
  for (let l = 0; l < layers; l++) expect(r.stdout).toMatch(new RegExp(`layer ${l}: #\\d+`));
  expect(r.stdout.match(/→/g)?.length).toBeGreaterThanOrEqual(10);
  expect(r.stdout).toMatch(/mean \|Δ score\|: top neurons ([\d.]+), random neurons ([\d.]+)/);
  expect(r.stdout).toMatch(/relevant above non-relevant \(per query\): unpruned \d\/5, top masked \d\/5, random masked \d\/5/);
  const completeness = Number(/completeness error ≤ ([\d.e+-]+)/.exec(r.stdout)?.[1]);
  expect(completeness).toBeLessThan(0.1);
  // The obvious triples: a count out of the file's 32 rows and the first three, each marked.
  expect(r.stdout).toMatch(/obvious triples \(examples\/obvious-triples\.tsv\): relevant above the surface-word distractor in \d+ of 32/);
  expect(r.stdout.match(/^  (ok |NO ) /gm)?.length).toBe(3);
});
