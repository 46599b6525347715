/**
 * `celens attribute --site` takes what `forward --capture` takes (names and globs) besides the
 * kinds it took before; the records hold the chosen sites only, with the fixture's values.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const IN = join(FIXTURE_DIR, 'reference.safetensors');

interface Line {
  index?: number;
  options?: { sites?: string[] };
  sum?: Record<string, number[]>;
  completeness?: Array<number | null>;
}

async function readJsonl(file: string): Promise<{ header: Line; records: Line[] }> {
  const [header, ...records] = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Line);
  return { header: header as Line, records: records.sort((a, b) => (a.index as number) - (b.index as number)) };
}

describe('celens attribute --site', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'celens-attribute-sites-'));
  });
  const base = ['attribute', FIXTURE_DIR, '--inputs', IN, '--steps', '20'];

  test('a site name: only that site, the fixture\'s NIG; every layer\'s completeness; same with 2 workers', async () => {
    const refs = await reference();
    const one = join(dir, 'one.jsonl');
    // The fixture's NIG references use the paper's right rule.
    const r = await runCli([...base, '--rule', 'right', '--site', 'layer.1.ffn.pre', '--workers', '1', '--out', one]);
    expect(r.stderr).toMatch(/wrote 4 of 4 pairs/);
    expect(r.code).toBe(0);
    const { header, records } = await readJsonl(one);
    expect(header.options?.sites).toEqual(['layer.1.ffn.pre']);
    expect(records.map((x) => Object.keys(x.sum ?? {}))).toEqual([0, 1, 2, 3].map(() => ['layer.1.ffn.pre']));
    const got = records.flatMap((x) => x.sum?.['layer.1.ffn.pre'] as number[]);
    expect(maxAbsDiff(got, ref(refs, 'nig.m20.padq.logit.right.pre.layer1.attr_sum_tokens').data as Float32Array)).toBeLessThanOrEqual(1e-5);
    for (let l = 0; l < 3; l++) {
      expect(maxAbsDiff(records.map((x) => x.completeness?.[l] as number), ref(refs, `nig.m20.padq.logit.right.out.layer${l}.delta`).data as Float32Array)).toBeLessThanOrEqual(1e-5);
    }
    const two = join(dir, 'two.jsonl');
    expect((await runCli([...base, '--rule', 'right', '--site', 'layer.1.ffn.pre', '--workers', '2', '--out', two])).code).toBe(0);
    expect(await readFile(two, 'utf8')).toBe(await readFile(one, 'utf8'));
  }, 120_000);

  test('a glob over every layer is the kind: same header, same bytes, so either resumes the other', async () => {
    const kind = join(dir, 'kind.jsonl');
    const glob = join(dir, 'glob.jsonl');
    expect((await runCli([...base, '--site', 'ffn.post', '--workers', '1', '--out', kind])).code).toBe(0);
    expect((await runCli([...base, '--site', 'layer.*.ffn.post', '--workers', '1', '--out', glob])).code).toBe(0);
    expect(await readFile(glob, 'utf8')).toBe(await readFile(kind, 'utf8'));
    expect((await readJsonl(glob)).header.options?.sites).toEqual(['ffn.post']);
  }, 120_000);

  test('layer-ig with --site layer.2.ffn.post computes that layer only', async () => {
    const refs = await reference();
    const out = join(dir, 'lig.jsonl');
    const r = await runCli([...base, '--method', 'layer-ig', '--site', 'layer.2.ffn.post', '--workers', '1', '--out', out]);
    expect(r.code).toBe(0);
    const { records } = await readJsonl(out);
    expect(records.map((x) => Object.keys(x.sum ?? {}))).toEqual([0, 1, 2, 3].map(() => ['layer.2.ffn.post']));
    const got = records.flatMap((x) => x.sum?.['layer.2.ffn.post'] as number[]);
    expect(maxAbsDiff(got, ref(refs, 'ig.gausslegendre.layer2.attr_sum_tokens').data as Float32Array)).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  test.each([
    ['layer.0.ffn.psot', /^celens: unknown site 'layer\.0\.ffn\.psot' \(sites: /],
    ['layer.3.ffn.pre', /^celens: site 'layer\.3\.ffn\.pre': layer 3 does not exist \(the model has layers 0…2\)\n$/],
    ['ffn.psot', /^celens: unknown site 'ffn\.psot' \(attribution takes a kind for every layer/],
    ['layer.1.attn.probs', /^celens: site 'layer\.1\.attn\.probs' is no site attribution can credit/],
  ])('--site %s is one line naming the problem, before any work', async (site, message) => {
    const r = await runCli([...base, '--site', site, '--workers', '1', '--out', join(dir, 'bad.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  });
});
