/**
 * runModel checks every site it is given (capture, grad, interventions) with the same function
 * the CLI uses: a misspelt name or a layer the model lacks is the CLI's SiteError, word for word,
 * thrown before anything is allocated. Named interventions are checked against HF's prune
 * references.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { SiteError, ShapeError } from '../../src/errors.js';
import { loadModel, disposeModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { runModel, disposeRun } from '../../src/hooks/run.js';
import type { RunOptions } from '../../src/hooks/run.js';
import { resolveSites } from '../../src/model/sites.js';
import { selectBackend } from '../../src/backend/select.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR, fixtureInputs, fixtureMaskJson, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const IN = join(FIXTURE_DIR, 'reference.safetensors');

/** The error a call throws (fails the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('one site check for the library and the CLI', () => {
  let model: LoadedModel;
  let dir: string;
  beforeAll(async () => {
    await selectBackend('wasm');
    model = await loadModel(FIXTURE_DIR); // 3 layers
    dir = await mkdtemp(join(tmpdir(), 'celens-validate-'));
  });
  afterAll(() => disposeModel(model));

  const bad: Array<[string, string, RegExp]> = [
    ['capture', 'layer.0.ffn.psot', /^unknown site 'layer\.0\.ffn\.psot' \(sites: embeddings, layer\.\{l\}\.attn\.probs, layer\.\{l\}\.attn\.out, layer\.\{l\}\.ffn\.pre, layer\.\{l\}\.ffn\.post, layer\.\{l\}\.out, pooler, logits\)$/],
    ['capture', 'layer.99.ffn.pre', /^site 'layer\.99\.ffn\.pre': layer 99 does not exist \(the model has layers 0…2\)$/],
    ['grad', 'layer.3.out', /^site 'layer\.3\.out': layer 3 does not exist \(the model has layers 0…2\)$/],
    ['grad', 'layer.0.ffn', /^unknown site 'layer\.0\.ffn'/],
    ['capture', 'layer.*.ffn.psot', /^site pattern 'layer\.\*\.ffn\.psot' matches no site$/],
  ];

  test.each(bad)('--%s %s: runModel throws the CLI\'s SiteError, and allocates nothing', async (flag, site, message) => {
    const refs = await reference();
    const inputs = fixtureInputs(refs);
    const before = tf.memory().numTensors;
    const opts: RunOptions = flag === 'capture' ? { capture: [site] } : { grad: [site] };
    const e = thrown(() => runModel(model, inputs, opts));
    expect(e).toBeInstanceOf(SiteError);
    expect(e.message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
    // The same check by itself, and the CLI's words.
    expect(() => resolveSites([site], model.config)).toThrow(e.message);
    const r = await runCli(['forward', FIXTURE_DIR, '--inputs', IN, `--${flag}`, site, '--out', join(dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`celens: ${e.message}\n`);
    tf.dispose(Object.values(inputs));
  });

  test('a good name among bad ones does not hide them; interventions are checked the same way', async () => {
    const refs = await reference();
    const inputs = fixtureInputs(refs);
    const before = tf.memory().numTensors;
    expect(() => runModel(model, inputs, { capture: ['layer.0.out', 'layer.0.ffn.psot'] })).toThrow(SiteError);
    expect(() => runModel(model, inputs, { interventions: { 'layer.9.attn.out': (v) => v } })).toThrow("site 'layer.9.attn.out': layer 9 does not exist (the model has layers 0…2)");
    expect(() => runModel(model, inputs, { interventions: { 'layer.0.ffn.psot': (v) => v } })).toThrow(/^unknown site 'layer\.0\.ffn\.psot'/);
    expect(() => runModel(model, inputs, { interventions: { 'layer.*.out': (v) => v, 'layer.1.out': (v) => v } })).toThrow("two interventions name site 'layer.1.out'");
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });

  test('named interventions: multiplying ffn.post by the fixture\'s neuron masks gives HF\'s prune logits', async () => {
    const refs = await reference();
    const inputs = fixtureInputs(refs);
    const before = tf.memory().numTensors;
    const masks = new Map<string, tf.Tensor1D>();
    for (const name of refs.keys()) {
      const m = /^prune\.neuron_mask\.layer(\d+)$/.exec(name);
      if (m) masks.set(`layer.${m[1]}.ffn.post`, tf.tensor1d(ref(refs, name).data as Float32Array));
    }
    expect(masks.size).toBeGreaterThan(0);
    // One function for a glob: it sees which site it acts on.
    const r = runModel(model, inputs, {
      interventions: { 'layer.*.ffn.post': (v, site) => (masks.has(site) ? tf.mul(v, masks.get(site) as tf.Tensor1D) : v) },
      capture: ['layer.0.ffn.post'],
      grad: ['layer.0.ffn.post'],
    });
    const expected = ref(refs, 'prune.logits.neurons').data as Float32Array;
    expect(maxAbsDiff(await r.logits.data(), expected)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(await r.logits.data(), ref(refs, 'outputs.logits').data as Float32Array)).toBeGreaterThan(1e-3);
    // The capture holds the value the model went on with: the masked neurons are 0.
    const zeroed = fixtureMaskJson(refs).neurons['layer.0.ffn'] as number[];
    const post = (await (r.captured.get('layer.0.ffn.post') as tf.Tensor).data()) as Float32Array;
    for (const j of zeroed) expect(post[j]).toBe(0);
    disposeRun(r);
    tf.dispose([...masks.values()]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
  });

  test('an intervention that changes the shape is a ShapeError, and what was captured is freed', async () => {
    const refs = await reference();
    const inputs = fixtureInputs(refs);
    const before = tf.memory().numTensors;
    for (const grad of [[], ['layer.0.out']]) {
      const e = thrown(() => runModel(model, inputs, { capture: ['embeddings'], grad, interventions: { 'layer.1.attn.out': (v) => tf.sum(v, -1) } }));
      expect(e).toBeInstanceOf(ShapeError);
      expect(e.message).toBe("intervention on site 'layer.1.attn.out' returned shape [4, 24], the site has [4, 24, 32]");
      expect(tf.memory().numTensors).toBe(before);
    }
    tf.dispose(Object.values(inputs));
  });
});
