/** `celens forward` end to end on the fixture: the written tensors equal HF's references. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { writeSafetensors } from '../../src/weights/safetensors-write.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR, fixtureSite, maxAbsDiff, ref, reference } from '../helpers/fixture.js';

const IN = join(FIXTURE_DIR, 'reference.safetensors');

describe('celens forward', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'celens-forward-'));
  });

  test('captures and gradients match the HF references (globs, I64 inputs, wasm and cpu)', async () => {
    const refs = await reference();
    for (const backend of ['wasm', 'cpu']) {
      const out = join(dir, `out-${backend}.safetensors`);
      const r = await runCli(['forward', FIXTURE_DIR, '--inputs', IN, '--capture', 'layer.*.ffn.post', '--capture', 'layer.*.attn.probs', '--capture', 'embeddings', 'pooler', '--grad', 'layer.*.ffn.post', '--out', out, '--backend', backend]);
      expect(r.stderr).toMatch(/wrote/);
      expect(r.code).toBe(0);
      const got = (await readSafetensors(out)).tensors;
      const names = [...refs.keys()].filter((n) => /^outputs\.(intermediate|attentions|pooled_output|logits|hidden_states\.0$)/.test(n) || /^grads\.intermediate/.test(n));
      expect(names.length).toBe(3 + 3 + 1 + 1 + 1 + 3);
      for (const n of names) {
        const key = n.startsWith('grads.') ? `grad.${fixtureSite(n)}` : fixtureSite(n);
        const t = got.get(key);
        expect(t?.shape).toEqual(ref(refs, n).shape);
        expect(maxAbsDiff(t?.data as Float32Array, ref(refs, n).data as Float32Array)).toBeLessThanOrEqual(1e-5); // observed ≈ 2e-6
      }
    }
  });

  test('masks from a JSON file change the logits as HF prune references say', async () => {
    const refs = await reference();
    const mask = join(dir, 'mask.json');
    await writeFile(mask, JSON.stringify({ 'layer.0.attn.heads': [1], 'layer.2.attn.heads': [3] }));
    const hm = ref(refs, 'prune.head_mask').data as Float32Array; // derive from the fixture: [3,4] of 0/1
    expect(Array.from(hm).map((v, i) => (v === 0 ? i : -1)).filter((i) => i >= 0)).toEqual([1, 11]);
    const out = join(dir, 'masked.safetensors');
    expect((await runCli(['forward', FIXTURE_DIR, '--inputs', IN, '--mask', mask, '--out', out])).code).toBe(0);
    const got = (await readSafetensors(out)).tensors.get('logits');
    expect(maxAbsDiff(got?.data as Float32Array, ref(refs, 'prune.logits.heads').data as Float32Array)).toBeLessThanOrEqual(1e-4);
  });

  test('bad inputs are one-line errors naming the file and tensor', async () => {
    const bad = join(dir, 'bad.safetensors');
    await writeSafetensors(bad, { input_ids: { dtype: 'I32', shape: [1, 3], data: [101, 40000, 102] }, attention_mask: { dtype: 'I32', shape: [1, 3], data: [1, 1, 1] } });
    let r = await runCli(['forward', FIXTURE_DIR, '--inputs', bad, '--out', join(dir, 'x.safetensors')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.safetensors: tensor 'input_ids': value 40000 at \[0, 1\] is outside the vocabulary 0…30521/);
    const long = join(dir, 'long.safetensors');
    const T = 129; // the fixture allows 128 positions
    await writeSafetensors(long, { input_ids: { dtype: 'I64', shape: [1, T], data: new Array<number>(T).fill(5) }, attention_mask: { dtype: 'I64', shape: [1, T], data: new Array<number>(T).fill(1) } });
    r = await runCli(['forward', FIXTURE_DIR, '--inputs', long, '--out', join(dir, 'x.safetensors')]);
    expect(r.stderr).toMatch(/sequence length 129 exceeds the model's max_position_embeddings 128/);
    const noMask = join(dir, 'nomask.safetensors');
    await writeSafetensors(noMask, { input_ids: { dtype: 'I64', shape: [1, 2], data: [101, 102] } });
    r = await runCli(['forward', FIXTURE_DIR, '--inputs', noMask, '--out', join(dir, 'x.safetensors')]);
    expect(r.stderr).toMatch(/nomask\.safetensors: tensor 'attention_mask': missing tensor/);
    r = await runCli(['forward', FIXTURE_DIR, '--inputs', IN, '--capture', 'layer.3.out', '--out', join(dir, 'x.safetensors')]);
    expect(r.stderr).toMatch(/site 'layer.3.out': layer 3 does not exist/);
    r = await runCli(['forward', FIXTURE_DIR, '--inputs', IN, '--mask', join(dir, 'nope.json'), '--out', join(dir, 'x.safetensors')]);
    expect(r.stderr).toMatch(/nope\.json: cannot read mask/);
  });
});
