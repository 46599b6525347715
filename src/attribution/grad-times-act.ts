/**
 * Gradient × activation (first-order Taylor attribution) for every FFN neuron of every layer, from
 * one forward and one backward pass: a_j · ∂F/∂a_j summed over tokens. Cheap and exact, but only a
 * local view; Neuron Integrated Gradients integrates the same product along a path.
 */
import * as tf from '@tensorflow/tfjs';
import type { BertInputs, BertModel } from '../model/bert.js';
import { runModel, disposeRun } from '../hooks/run.js';
import { layerSite } from '../model/sites.js';
import type { SiteName } from '../model/sites.js';

/** Per layer, [B, I]: Σ_t a[b,t,j] · ∂(Σ logits)/∂a[b,t,j] at `layer.{l}.ffn.post`. */
export async function gradTimesActivation(model: BertModel, inputs: BertInputs): Promise<Float32Array[]> {
  const sites: SiteName[] = model.config.intermediateSizes.map((_I, l) => layerSite(l, 'ffn.post'));
  const r = runModel(model, inputs, { capture: sites, grad: sites });
  try {
    const out: Float32Array[] = [];
    for (const s of sites) {
      const prod = tf.tidy(() => tf.sum(tf.mul(r.captured.get(s) as tf.Tensor, r.grads.get(s) as tf.Tensor), 1));
      out.push((await prod.data()) as Float32Array);
      prod.dispose();
    }
    return out;
  } finally {
    disposeRun(r);
  }
}
