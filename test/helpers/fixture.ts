/** The shared tiny-bert-ce fixture, read in place, and the one map from its names to our sites. */
import { join, resolve } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import type { Tensor } from '../../src/weights/safetensors.js';
import { toInt32 } from '../../src/weights/dtypes.js';
import type { SiteName } from '../../src/model/sites.js';
import type { BertInputs } from '../../src/model/bert.js';

export const SHARED = resolve(process.cwd(), '../shared');
export const FIXTURE_DIR = join(SHARED, 'fixtures/tiny-bert-ce');

let cache: Map<string, Tensor> | undefined;

export async function reference(): Promise<Map<string, Tensor>> {
  cache ??= (await readSafetensors(join(FIXTURE_DIR, 'reference.safetensors'))).tensors;
  return cache;
}

export function ref(refs: Map<string, Tensor>, name: string): Tensor {
  const t = refs.get(name);
  if (!t) throw new Error(`fixture has no tensor ${name}`);
  return t;
}

/** Fixture output names → sites: hidden_states.0 is the embeddings, hidden_states.{l+1} layer l's output. */
export function fixtureSite(name: string): SiteName {
  let m = /^outputs\.hidden_states\.(\d+)$/.exec(name);
  if (m) return Number(m[1]) === 0 ? 'embeddings' : `layer.${Number(m[1]) - 1}.out`;
  m = /^(?:outputs|grads)\.intermediate\.(\d+)$/.exec(name);
  if (m) return `layer.${Number(m[1])}.ffn.post`;
  m = /^outputs\.attentions\.(\d+)$/.exec(name);
  if (m) return `layer.${Number(m[1])}.attn.probs`;
  if (name === 'outputs.pooled_output') return 'pooler';
  if (name === 'outputs.logits') return 'logits';
  throw new Error(`no site for fixture tensor ${name}`);
}

/** The fixture's input batch as int32 tensors (caller disposes). */
export function fixtureInputs(refs: Map<string, Tensor>, idsName = 'inputs.input_ids'): BertInputs {
  const t = (n: string): tf.Tensor2D => {
    const r = ref(refs, n);
    return tf.tensor2d(toInt32(r.data, { tensor: n }), r.shape as [number, number], 'int32');
  };
  return { inputIds: t(idsName), tokenTypeIds: t('inputs.token_type_ids'), attentionMask: t('inputs.attention_mask') };
}

/** max |a − b| over all elements (NaN-safe: NaN anywhere gives Infinity). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The fixture's input batch as a plain TokenBatch. */
export function fixtureBatch(refs: Map<string, Tensor>): import('../../src/tokenize/encode.js').TokenBatch {
  const arr = (n: string): Int32Array => toInt32(ref(refs, n).data, { tensor: n });
  const [batch, seqLen] = ref(refs, 'inputs.input_ids').shape as [number, number];
  return { inputIds: arr('inputs.input_ids'), tokenTypeIds: arr('inputs.token_type_ids'), attentionMask: arr('inputs.attention_mask'), batch, seqLen };
}

const zeroIndices = (d: ArrayLike<number>, from = 0, n = d.length): number[] => Array.from({ length: n }, (_v, i) => i).filter((i) => d[from + i] === 0);

/** `prune.neuron_mask.layer{l}` and `prune.head_mask` as mask JSON (index lists of the zeros). */
export function fixtureMaskJson(refs: Map<string, Tensor>): { neurons: Record<string, number[]>; heads: Record<string, number[]> } {
  const neurons: Record<string, number[]> = {};
  for (const name of refs.keys()) {
    const m = /^prune\.neuron_mask\.layer(\d+)$/.exec(name);
    if (m) neurons[`layer.${m[1]}.ffn`] = zeroIndices(ref(refs, name).data as Float32Array);
  }
  const hm = ref(refs, 'prune.head_mask');
  const [L, NH] = hm.shape as [number, number];
  const heads: Record<string, number[]> = {};
  for (let l = 0; l < L; l++) {
    const z = zeroIndices(hm.data as Float32Array, l * NH, NH);
    if (z.length) heads[`layer.${l}.attn.heads`] = z;
  }
  return { neurons, heads };
}

