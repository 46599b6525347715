/**
 * Layer IG and conductance against the fixture: `ig.*` (direct formula) and `ig_captum.*`
 * (Captum LayerIntegratedGradients) for left Riemann and Gauss–Legendre, with deltas and baseline
 * logits; `cond_captum.*` (Captum LayerConductance) through NIG's left rule on the same points
 * (Gauss–Legendre nodes lack the ends, which NIG requires: there the ends are added and the two
 * end intervals that Captum leaves out are taken off again, from first principles).
 */
import * as tf from '../../src/backend/tf.js';
import { layerIgBatch } from '../../src/attribution/layer-ig.js';
import { nigBatch } from '../../src/attribution/nig.js';
import { gaussLegendre, inclusiveAlphas } from '../../src/attribution/quadrature.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import type { SiteName } from '../../src/model/sites.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, fixtureBatch, maxAbsDiff, ref, reference } from '../helpers/fixture.js';
import { nigByHand, pathPoints } from '../helpers/nig-by-hand.js';

const TOL = 1e-5; // observed ≤ 1.2e-6

function stack(res: PairAttribution[], site: SiteName, T: number, W: number): Float32Array {
  const out = new Float32Array(res.length * T * W);
  res.forEach((p, row) => out.set(p.perToken?.get(site) as Float32Array, row * T * W));
  return out;
}

describeEachBackend('layer IG and conductance vs fixture', (backend) => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(FIXTURE_DIR);
  });
  afterAll(() => disposeModel(model));

  // cpu (slow reference backend) checks one rule; wasm both.
  const rules = [
    ['riemann_left', 'left', 7],
    ['gausslegendre', 'gauss-legendre', 20],
  ] as const;
  test.each(backend === 'wasm' ? rules : rules.slice(1))('ig %s', async (name, rule, chunk) => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const res = await layerIgBatch(model, fixtureBatch(refs), { rule, steps: 20, chunk, perToken: true });
    expect(tf.memory().numTensors).toBe(before);
    let worst = 0;
    for (let l = 0; l < 3; l++) {
      const site: SiteName = `layer.${l}.ffn.post`;
      for (const src of ['ig', 'ig_captum']) {
        const p = `${src}.${name}.layer${l}`;
        worst = Math.max(worst, maxAbsDiff(stack(res, site, 24, 64), ref(refs, `${p}.attr`).data as Float32Array));
        const sums = new Float32Array(4 * 64);
        res.forEach((r, row) => sums.set(r.sum.get(site) as Float32Array, row * 64));
        worst = Math.max(worst, maxAbsDiff(sums, ref(refs, `${p}.attr_sum_tokens`).data as Float32Array));
        worst = Math.max(worst, maxAbsDiff(res.map((r) => r.completeness[l] as number), ref(refs, `${p}.delta`).data as Float32Array));
      }
      const oneLayer = await layerIgBatch(model, fixtureBatch(refs), { rule, steps: 20, layers: [l] });
      worst = Math.max(worst, maxAbsDiff(oneLayer.map((r) => r.targetBaseline), ref(refs, `ig.layer${l}.baseline_logit`).data as Float32Array));
    }
    console.log(`[${backend}] layer IG ${name}: max abs error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
  });

  test.each([
    ['riemann_trapezoid', inclusiveAlphas(21)],
    ['gausslegendre', gaussLegendre(21).alphas],
  ] as const)('conductance %s = NIG left rule on the same points, padqp baseline', async (name, nodes) => {
    const refs = await reference();
    const batch = fixtureBatch(refs);
    const ends = nodes[0] === 0 && nodes[nodes.length - 1] === 1;
    const alphas = ends ? nodes : [0, ...nodes, 1];
    const res = await nigBatch(model, batch, { baseline: 'padqp', alphas, rule: 'left', sites: ['ffn.post'], perToken: true, chunk: 8 });
    const sites = [0, 1, 2].map((l): SiteName => `layer.${l}.ffn.post`);
    // Captum credits [α_first, α_last] only: the left-rule terms of [0, α_first] and [α_last, 1] come off.
    const [a, b] = [nodes[0] as number, nodes[nodes.length - 1] as number];
    const [p0, pa, pb, p1] = ends ? [] : await pathPoints(model, batch, 'padqp', [0, a, b, 1], sites);
    let worst = 0;
    for (const [l, site] of sites.entries()) {
      const ours = stack(res, site, 24, 64);
      if (p0 && pa && pb && p1) {
        const head = nigByHand([p0, pa], site, 'left');
        const tail = nigByHand([pb, p1], site, 'left');
        ours.forEach((v, i) => (ours[i] = v - (head[i] as number) - (tail[i] as number)));
      }
      worst = Math.max(worst, maxAbsDiff(ours, ref(refs, `cond_captum.${name}.layer${l}.attr`).data as Float32Array));
    }
    console.log(`[${backend}] conductance ${name}: max abs error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(TOL);
  });
});
