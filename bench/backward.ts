/**
 * Forward + backward for one batch: the gradient of the summed logits with respect to every
 * layer's `ffn.pre` site, all from one backward pass (runModel's zero-perturbation hooks), the
 * way NIG over every layer runs. The forward alone at the same shape is timed beside it.
 */
import type { BertModel } from '../src/model/bert.js';
import { disposeInputs, toInputs } from '../src/model/inputs.js';
import { layerSite } from '../src/model/sites.js';
import type { SiteName } from '../src/model/sites.js';
import { disposeRun, runModel } from '../src/hooks/run.js';
import { syntheticBatch } from './forward.js';
import { allFinite, timeRuns } from './stats.js';
import type { Timing } from './stats.js';

export interface BackwardBenchOptions {
  batch: number;
  seq: number;
  runs: number;
  /** @default 1 */
  warmup?: number;
  seed?: number;
}

export interface BackwardResult {
  batch: number;
  seq: number;
  sites: SiteName[];
  /** runModel with grad: every ffn.pre site, reading every gradient back. */
  timing: Timing;
  /** runModel without gradients, same inputs. */
  forwardTiming: Timing;
  /** median(forward+backward) / median(forward) */
  ratio: number;
}

export async function benchBackward(model: BertModel, o: BackwardBenchOptions): Promise<BackwardResult> {
  const sites = Array.from({ length: model.config.numLayers }, (_v, l) => layerSite(l, 'ffn.pre'));
  const inputs = toInputs(syntheticBatch(model.config, o.batch, o.seq, o.seed ?? 1), model.config);
  const warmup = o.warmup ?? 1;
  try {
    const timing = await timeRuns(
      async () => {
        const r = runModel(model, inputs, { grad: sites });
        try {
          for (const g of r.grads.values()) if (!allFinite(await g.data())) throw new Error('non-finite gradient');
        } finally {
          disposeRun(r);
        }
      },
      o.runs,
      warmup,
    );
    const forwardTiming = await timeRuns(
      async () => {
        const r = runModel(model, inputs);
        await r.logits.data();
        disposeRun(r);
      },
      o.runs,
      warmup,
    );
    return { batch: o.batch, seq: o.seq, sites, timing, forwardTiming, ratio: timing.medianMs / forwardTiming.medianMs };
  } finally {
    disposeInputs(inputs);
  }
}
