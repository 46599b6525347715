/**
 * The `layer.{l}.attn.out` site (attention block output: self-output dense, before the residual
 * add and LayerNorm), checked from first principles with the fixture's own weights and HF's
 * reference activations, in float64 here:
 *   - attn.out = (P · V(h)) W_oᵀ + b_o, from HF's attention probabilities P and layer input h;
 *   - LayerNorm(attn.out + h) is the post-attention state: GELU(intermediate.dense of it) equals
 *     HF's FFN activation (outputs.intermediate.l), which the fixture does store;
 *   - its gradient matches central finite differences of the summed logits (interventions);
 *   - layer IG on attn.out: F(y) is the logit and F(0) the logit with attn.out zeroed by an
 *     intervention, and the Gauss–Legendre sum meets F(y) − F(0).
 */
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { runModel, disposeRun } from '../../src/hooks/run.js';
import { allSites, layerSite } from '../../src/model/sites.js';
import type { SiteName } from '../../src/model/sites.js';
import { layerIgBatch } from '../../src/attribution/layer-ig.js';
import { nigBatch } from '../../src/attribution/nig.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import type { Tensor } from '../../src/weights/safetensors.js';
import { describeEachBackend } from '../helpers/backends.js';
import { FIXTURE_DIR, fixtureBatch, fixtureInputs, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const TOL = 1e-5;
const [B, T, H, NH, I] = [4, 24, 32, 4, 64];
const HS = H / NH;

let weights: Map<string, Tensor>;
const w = (name: string): Float32Array => {
  const t = weights.get(name);
  if (!t) throw new Error(`no weight ${name}`);
  return t.data as Float32Array;
};

/** y[r, o] = Σ_i x[r, i] W[o, i] + b[o] (torch Linear layout), float64. */
function linear(x: ArrayLike<number>, rows: number, W: Float32Array, b: Float32Array, inDim: number, outDim: number): Float64Array {
  const y = new Float64Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b[o] as number;
      for (let i = 0; i < inDim; i++) s += (x[r * inDim + i] as number) * (W[o * inDim + i] as number);
      y[r * outDim + o] = s;
    }
  }
  return y;
}

/** erf to ~1e-15 (series for small |x|, continued fraction beyond): exact GELU for the reference. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  // erfc by Lentz's continued fraction
  let f = ax;
  let C = ax;
  let D = 0;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    D = ax + a * D;
    D = 1 / D;
    C = ax + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f);
  return Math.sign(x) * (1 - erfc);
}

describe('erf (the test reference itself)', () => {
  test('known values', () => {
    expect(erf(0)).toBe(0);
    expect(Math.abs(erf(0.5) - 0.5204998778130465)).toBeLessThan(1e-14);
    expect(Math.abs(erf(1) - 0.8427007929497149)).toBeLessThan(1e-14);
    expect(Math.abs(erf(-2) + 0.9953222650189527)).toBeLessThan(1e-14);
    expect(Math.abs(erf(3) - 0.9999779095030014)).toBeLessThan(1e-14);
  });
});

describeEachBackend('layer.{l}.attn.out', (backend) => {
  // The attribution checks run on wasm only: cpu is tfjs' slow reference backend, and the site
  // itself is checked on both above them.
  const wasmOnly = backend === 'wasm' ? test : test.skip;
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel(FIXTURE_DIR);
    weights ??= (await readSafetensors(join(FIXTURE_DIR, 'model.safetensors'))).tensors;
  });
  afterAll(() => disposeModel(model));

  test('is the site list entry between attn.probs and ffn.pre, shaped [B,T,H]', async () => {
    const sites = allSites(model.config);
    expect(sites.slice(1, 6)).toEqual(['layer.0.attn.probs', 'layer.0.attn.out', 'layer.0.ffn.pre', 'layer.0.ffn.post', 'layer.0.out']);
    const refs = await reference();
    const inputs = fixtureInputs(refs);
    const r = runModel(model, inputs, { capture: ['layer.*.attn.out'] });
    expect([...r.captured.keys()]).toEqual(['layer.0.attn.out', 'layer.1.attn.out', 'layer.2.attn.out']);
    for (const t of r.captured.values()) expect(t.shape).toEqual([B, T, H]);
    disposeRun(r);
    tf.dispose(Object.values(inputs));
  });

  test('equals (P·V) W_oᵀ + b_o, and LayerNorm(attn.out + h) feeds HF\'s FFN activation', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const inputs = fixtureInputs(refs);
    const sites = [0, 1, 2].map((l) => layerSite(l, 'attn.out'));
    const r = runModel(model, inputs, { capture: sites });
    const worst = { attnOut: 0, ffnPost: 0 };
    for (let l = 0; l < 3; l++) {
      const p = `bert.encoder.layer.${l}`;
      const h = ref(refs, `outputs.hidden_states.${l}`).data as Float32Array; // the layer's input [B,T,H]
      const P = ref(refs, `outputs.attentions.${l}`).data as Float32Array; // [B,NH,T,T]
      const got = (await (r.captured.get(sites[l] as SiteName) as tf.Tensor).data()) as Float32Array;

      // attn.out from first principles: context = P·V per head, then the output dense.
      const V = linear(h, B * T, w(`${p}.attention.self.value.weight`), w(`${p}.attention.self.value.bias`), H, H);
      const ctx = new Float64Array(B * T * H);
      for (let b = 0; b < B; b++)
        for (let n = 0; n < NH; n++)
          for (let t = 0; t < T; t++)
            for (let d = 0; d < HS; d++) {
              let s = 0;
              for (let u = 0; u < T; u++) s += (P[((b * NH + n) * T + t) * T + u] as number) * (V[(b * T + u) * H + n * HS + d] as number);
              ctx[(b * T + t) * H + n * HS + d] = s;
            }
      const expected = linear(ctx, B * T, w(`${p}.attention.output.dense.weight`), w(`${p}.attention.output.dense.bias`), H, H);
      worst.attnOut = Math.max(worst.attnOut, maxAbsDiff(got, expected));

      // LayerNorm(attn.out + h) with the fixture's attention LayerNorm → intermediate.dense → exact GELU.
      const gamma = w(`${p}.attention.output.LayerNorm.weight`);
      const beta = w(`${p}.attention.output.LayerNorm.bias`);
      const a = new Float64Array(B * T * H);
      for (let row = 0; row < B * T; row++) {
        let mean = 0;
        for (let j = 0; j < H; j++) mean += (got[row * H + j] as number) + (h[row * H + j] as number);
        mean /= H;
        let v = 0;
        for (let j = 0; j < H; j++) v += ((got[row * H + j] as number) + (h[row * H + j] as number) - mean) ** 2;
        v /= H;
        for (let j = 0; j < H; j++) a[row * H + j] = (((got[row * H + j] as number) + (h[row * H + j] as number) - mean) / Math.sqrt(v + 1e-12)) * (gamma[j] as number) + (beta[j] as number);
      }
      const pre = linear(a, B * T, w(`${p}.intermediate.dense.weight`), w(`${p}.intermediate.dense.bias`), H, I);
      const post = pre.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
      worst.ffnPost = Math.max(worst.ffnPost, maxAbsDiff(post, ref(refs, `outputs.intermediate.${l}`).data as Float32Array));
      // attn.out is not the post-LayerNorm state: the residual and LayerNorm change it a lot.
      expect(maxAbsDiff(got, a)).toBeGreaterThan(0.1);
    }
    console.log(`[${backend}] attn.out first principles: ${JSON.stringify(worst, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toExponential(2)) : v))}`);
    expect(worst.attnOut).toBeLessThanOrEqual(TOL);
    expect(worst.ffnPost).toBeLessThanOrEqual(TOL);
    disposeRun(r);
    tf.dispose(Object.values(inputs));
    expect(tf.memory().numTensors).toBe(before);
  });

  test('its gradient matches central finite differences of the summed logits', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const inputs = fixtureInputs(refs);
    const mask = ref(refs, 'inputs.attention_mask').data;
    const sumLogits = async (site: SiteName, at: number, eps: number): Promise<number> => {
      const r = runModel(model, inputs, {
        interventions: { [site]: (v) => tf.add(v, tf.reshape(tf.mul(tf.cast(tf.oneHot(tf.tensor1d([at], 'int32'), B * T * H), 'float32'), eps), v.shape)) },
      });
      const s = Array.from(await r.logits.data()).reduce((x, y) => x + y, 0);
      disposeRun(r);
      return s;
    };
    const eps = 1e-2;
    let worst = 0;
    let checked = 0;
    for (let l = 0; l < 3; l++) {
      const site = layerSite(l, 'attn.out');
      const r = runModel(model, inputs, { grad: [site] });
      const g = (await (r.grads.get(site) as tf.Tensor).data()) as Float32Array;
      disposeRun(r);
      // The four largest |g| on real tokens, and one padded position (whose gradient is exactly 0).
      const real = Array.from(g.keys()).filter((i) => Number(mask[Math.floor(i / H)]) === 1);
      const top = real.sort((x, y) => Math.abs(g[y] as number) - Math.abs(g[x] as number)).slice(0, 4);
      expect(Math.abs(g[top[0] as number] as number)).toBeGreaterThan(0.05);
      const padded = Array.from(g.keys()).find((i) => Number(mask[Math.floor(i / H)]) === 0) as number;
      expect(g[padded]).toBe(0);
      for (const i of [...top, padded]) {
        const fd = ((await sumLogits(site, i, eps)) - (await sumLogits(site, i, -eps))) / (2 * eps);
        worst = Math.max(worst, Math.abs(fd - (g[i] as number)));
        checked++;
      }
    }
    console.log(`[${backend}] attn.out gradient vs finite differences (${checked} elements): max abs diff ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(5e-4);
    tf.dispose(Object.values(inputs));
    expect(tf.memory().numTensors).toBe(before);
  });

  wasmOnly('layer IG on attn.out: F(y) is the logit, F(0) the logit with attn.out zeroed, and the sum meets F(y) − F(0)', async () => {
    const refs = await reference();
    const before = tf.memory().numTensors;
    const batch = fixtureBatch(refs);
    const inputs = fixtureInputs(refs);
    const logits = ref(refs, 'outputs.logits').data as Float32Array;
    for (let l = 0; l < 3; l++) {
      const site = layerSite(l, 'attn.out');
      const res = await layerIgBatch(model, batch, { site: 'attn.out', layers: [l], steps: 20, rule: 'gauss-legendre' });
      const zeroed = runModel(model, inputs, { interventions: { [site]: (v) => tf.zerosLike(v) } });
      const f0 = await zeroed.logits.data();
      disposeRun(zeroed);
      expect(maxAbsDiff(res.map((p) => p.targetInput), logits)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(res.map((p) => p.targetBaseline), f0)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(f0, logits)).toBeGreaterThan(1e-2); // zeroing the block matters
      const total = res.map((p) => (p.sum.get(site) as Float32Array).reduce((x, y) => x + y, 0));
      expect(maxAbsDiff(total, res.map((p, row) => p.targetInput - (f0[row] as number)))).toBeLessThanOrEqual(1e-3);
      expect(Math.max(...res.map((p) => Math.abs(p.completeness[l] as number)))).toBeLessThanOrEqual(1e-3);
    }
    tf.dispose(Object.values(inputs));
    expect(tf.memory().numTensors).toBe(before);
  });

  wasmOnly('NIG credits attn.out: exactly 0 on padding, every layer\'s out still gives completeness', async () => {
    const refs = await reference();
    const res = await nigBatch(model, fixtureBatch(refs), { sites: ['attn.out'], steps: 20, rule: 'right', perToken: true });
    const lengths = [24, 17, 9, 5];
    res.forEach((p, row) => {
      expect([...p.sum.keys()]).toEqual(['layer.0.attn.out', 'layer.1.attn.out', 'layer.2.attn.out']);
      expect((p.perToken?.get('layer.0.attn.out') as Float32Array).length).toBe((lengths[row] as number) * H);
      // the fixture's completeness deltas for the out cut, same run settings (padq, logit, right)
      for (let l = 0; l < 3; l++) expect(Math.abs((p.completeness[l] as number) - ((ref(refs, `nig.m20.padq.logit.right.out.layer${l}.delta`).data as Float32Array)[row] as number))).toBeLessThanOrEqual(TOL);
    });
  });
});
