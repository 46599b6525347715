/**
 * How a pruned unit is removed. `zero` is the mask (the neuron's activation becomes 0, as HF's
 * prune_linear_layer; a head's attention probabilities become 0, as head_mask). `mean` replaces a
 * neuron's activation by its mean over a reference set ("mean ablation"), which keeps the next
 * layer's input on-distribution: it is a hook on `layer.{l}.ffn.post`, post' = post·keep + mean·(1−keep).
 * With all-zero means it computes exactly what the zero mask does (the add of 0 is exact).
 */
import * as tf from '../backend/tf.js';
import { UsageError } from '../errors.js';
import type { SiteHook } from '../model/bert.js';
import type { Masks } from '../model/masks.js';
import { layerSite } from '../model/sites.js';
import type { SiteName } from '../model/sites.js';

export type Ablation = 'zero' | 'mean';
export const ABLATIONS: readonly Ablation[] = ['zero', 'mean'];

/** What a forward pass needs to apply a cell: masks and/or a hook, and the tensors to free after. */
export interface Intervention {
  masks?: Masks;
  hook?: SiteHook;
  dispose(): void;
}

/**
 * The intervention for `masks` under `ablation`. `means[l]` is layer l's per-neuron mean
 * post-activation (needed for `mean` only). Head masks are always zero ablation.
 */
export function intervention(masks: Masks, ablation: Ablation, means?: readonly Float32Array[]): Intervention {
  if (ablation === 'zero') return { masks, dispose: () => undefined };
  if (masks.some((m) => m.heads.length > 0)) throw new UsageError('mean ablation replaces FFN neurons; heads are masked with zeros (use --ablation zero for heads)');
  if (!means) throw new UsageError('mean ablation needs the neurons\' mean activations (--reference-pairs or --means)');
  const edits = new Map<SiteName, { keep: tf.Tensor1D; fill: tf.Tensor1D }>();
  masks.forEach((m, l) => {
    if (m.ffn.length === 0) return;
    const mean = means[l];
    if (!mean) throw new UsageError(`no mean activations for layer ${l}`);
    const keep = new Float32Array(mean.length).fill(1);
    const fill = new Float32Array(mean.length);
    for (const i of m.ffn) {
      keep[i] = 0;
      fill[i] = mean[i] as number;
    }
    edits.set(layerSite(l, 'ffn.post'), { keep: tf.tensor1d(keep), fill: tf.tensor1d(fill) });
  });
  const hook: SiteHook = (site, value) => {
    const e = edits.get(site);
    return e ? (tf.add(tf.mul(value, e.keep), e.fill) as typeof value) : value;
  };
  return {
    hook,
    dispose: () => {
      for (const e of edits.values()) tf.dispose([e.keep, e.fill]);
    },
  };
}
