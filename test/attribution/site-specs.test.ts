/**
 * `--site` / AttributeOptions.sites: kinds for every layer, site names and globs. NIG and layer IG
 * on a subset of sites give the fixture's numbers for those sites (HF + PyTorch references) and
 * nothing else; canonical specs make equal requests equal.
 */
import { SiteError } from '../../src/errors.js';
import { attributeGroup } from '../../src/attribution/attribute.js';
import { nigBatch } from '../../src/attribution/nig.js';
import { canonicalSiteSpecs, resolveAttributionSites } from '../../src/attribution/site-specs.js';
import { selectBackend } from '../../src/backend/select.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { SiteName } from '../../src/model/sites.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import { FIXTURE_DIR, fixtureBatch, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const TOL = 1e-5;
const three = { numLayers: 3 };

function sums(res: PairAttribution[], site: SiteName, W: number): Float32Array {
  const out = new Float32Array(res.length * W);
  res.forEach((p, row) => out.set(p.sum.get(site) as Float32Array, row * W));
  return out;
}

describe('resolving attribution sites', () => {
  test('kinds, names and globs', () => {
    expect(resolveAttributionSites(['ffn.pre'], three).sites).toEqual(['layer.0.ffn.pre', 'layer.1.ffn.pre', 'layer.2.ffn.pre']);
    expect(resolveAttributionSites(['layer.2.out', 'layer.*.ffn.post', 'layer.0.out'], three)).toEqual({
      sites: ['layer.0.out', 'layer.0.ffn.post', 'layer.1.ffn.post', 'layer.2.out', 'layer.2.ffn.post'],
      kinds: ['out', 'ffn.post'],
    });
    // globs over every kind keep the attributable ones (`*` is one dot-free part)
    expect(resolveAttributionSites(['layer.1.*', 'layer.1.*.*'], three).sites).toEqual(['layer.1.out', 'layer.1.attn.out', 'layer.1.ffn.pre', 'layer.1.ffn.post']); // kinds in first-named order
  });

  test('canonical specs: a whole kind is the kind, a subset its names, first-named kinds first', () => {
    expect(canonicalSiteSpecs(['layer.*.ffn.pre'], three)).toEqual(['ffn.pre']);
    expect(canonicalSiteSpecs(['ffn.post', 'ffn.pre'], three)).toEqual(['ffn.post', 'ffn.pre']);
    expect(canonicalSiteSpecs(['layer.2.ffn.pre', 'layer.0.ffn.pre', 'out'], three)).toEqual(['layer.0.ffn.pre', 'layer.2.ffn.pre', 'out']);
  });

  test.each([
    [['ffn.psot'], /^unknown site 'ffn\.psot' \(attribution takes a kind for every layer \(ffn\.pre, ffn\.post, out, attn\.out\) or site names and globs/],
    [['layer.0.ffn.psot'], /^unknown site 'layer\.0\.ffn\.psot' \(sites: /],
    [['layer.3.ffn.pre'], /^site 'layer\.3\.ffn\.pre': layer 3 does not exist \(the model has layers 0…2\)$/],
    [['layer.0.attn.probs'], /^site 'layer\.0\.attn\.probs' is no site attribution can credit/],
    [['pooler'], /^site 'pooler' is no site attribution can credit/],
    [['layer.*.attn.probs'], /^site pattern 'layer\.\*\.attn\.probs' matches no site attribution can credit/],
    [[], /^no site to attribute/],
  ])('%j is a SiteError', (specs, message) => {
    expect(() => resolveAttributionSites(specs, three)).toThrow(SiteError);
    expect(() => resolveAttributionSites(specs, three)).toThrow(message);
  });
});

describe('attributing a subset of sites (wasm)', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await loadModel(FIXTURE_DIR);
  });
  afterAll(() => disposeModel(model));

  test('NIG on layer.1.ffn.pre and layer.*.out: the fixture\'s values, only those sites, completeness for every layer', async () => {
    const refs = await reference();
    const res = await nigBatch(model, fixtureBatch(refs), { sites: ['layer.1.ffn.pre', 'layer.2.out'], steps: 20, rule: 'right' });
    for (const p of res) expect([...p.sum.keys()]).toEqual(['layer.1.ffn.pre', 'layer.2.out']);
    expect(maxAbsDiff(sums(res, 'layer.1.ffn.pre', 64), ref(refs, 'nig.m20.padq.logit.right.pre.layer1.attr_sum_tokens').data as Float32Array)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(sums(res, 'layer.2.out', 32), ref(refs, 'nig.m20.padq.logit.right.out.layer2.attr_sum_tokens').data as Float32Array)).toBeLessThanOrEqual(TOL);
    for (let l = 0; l < 3; l++) {
      expect(maxAbsDiff(res.map((p) => p.completeness[l] as number), ref(refs, `nig.m20.padq.logit.right.out.layer${l}.delta`).data as Float32Array)).toBeLessThanOrEqual(TOL);
    }
    // The glob form computes exactly what the kind computes.
    const kind = await nigBatch(model, fixtureBatch(refs), { sites: ['ffn.post'], steps: 20 });
    const glob = await nigBatch(model, fixtureBatch(refs), { sites: ['layer.*.ffn.post'], steps: 20 });
    expect(glob.map((p) => [...p.sum.entries()])).toEqual(kind.map((p) => [...p.sum.entries()]));
  });

  test('layer IG on layer.1.ffn.post: the fixture\'s Gauss–Legendre references for that layer only', async () => {
    const refs = await reference();
    const res = await attributeGroup(model, fixtureBatch(refs), { method: 'layer-ig', sites: ['layer.1.ffn.post'], steps: 20 });
    for (const p of res) expect([...p.sum.keys()]).toEqual(['layer.1.ffn.post']);
    expect(maxAbsDiff(sums(res, 'layer.1.ffn.post', 64), ref(refs, 'ig.gausslegendre.layer1.attr_sum_tokens').data as Float32Array)).toBeLessThanOrEqual(TOL);
    expect(maxAbsDiff(res.map((p) => p.completeness[1] as number), ref(refs, 'ig.gausslegendre.layer1.delta').data as Float32Array)).toBeLessThanOrEqual(TOL);
    expect(res.every((p) => Number.isNaN(p.completeness[0]) && Number.isNaN(p.completeness[2]))).toBe(true);
    // --layers keeps only those layers of the chosen sites; none left, or a layer the model lacks, is an error.
    const two = await attributeGroup(model, fixtureBatch(refs), { method: 'layer-ig', sites: ['ffn.post'], layers: [1], steps: 20 });
    expect(two.map((p) => [...p.sum.entries()])).toEqual(res.map((p) => [...p.sum.entries()]));
    await expect(attributeGroup(model, fixtureBatch(refs), { method: 'layer-ig', sites: ['layer.1.ffn.post'], layers: [2], steps: 4 })).rejects.toThrow(/none of the chosen sites is in --layers 2/);
    await expect(attributeGroup(model, fixtureBatch(refs), { method: 'layer-ig', layers: [3], steps: 4 })).rejects.toThrow('layer 3 does not exist (the model has layers 0…2)');
  });
});
