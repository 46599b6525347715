/**
 * `celens forward MODEL --inputs IN.safetensors [--capture SITE…] [--grad SITE…] [--mask M.json]
 * --out OUT.safetensors`: runs the model on stored token ids and writes the captured sites under
 * their names, gradients of the summed logits as `grad.<site>`, and `logits`. This is how users
 * check our layer math against their own reference outputs.
 */
import type { Argv, CommandModule } from 'yargs';
import { disposeModel } from '../../model/load.js';
import { toInputs, disposeInputs, readTokenBatch } from '../../model/inputs.js';
import { resolveSites } from '../../model/sites.js';
import { runModel, disposeRun } from '../../hooks/run.js';
import { writeSafetensors } from '../../weights/safetensors-write.js';
import type { TensorToWrite } from '../../weights/safetensors-write.js';
import { optionalMasks, setup, withBackend, withHub } from '../common.js';
import type { BackendArgs, HubArgs } from '../common.js';

interface ForwardArgs extends BackendArgs, HubArgs {
  model: string;
  inputs: string;
  capture: string[];
  grad: string[];
  mask: string | undefined;
  out: string;
}

export const forwardCommand: CommandModule<object, ForwardArgs> = {
  command: 'forward <model>',
  describe: 'run stored token ids through the model; write captured sites and gradients to safetensors',
  builder: (y: Argv<object>): Argv<ForwardArgs> =>
    withBackend(
      withHub(y)
        .positional('model', { type: 'string', demandOption: true, describe: 'model folder or hub id (a hub id is read from the HF cache: celens download ID first)' })
        .option('inputs', { type: 'string', demandOption: true, describe: 'safetensors with input_ids, attention_mask[, token_type_ids] (I64 or I32)' })
        .option('capture', { type: 'string', array: true, default: [] as string[], describe: 'site or glob to capture, e.g. layer.*.ffn.post (repeatable)' })
        .option('grad', { type: 'string', array: true, default: [] as string[], describe: 'site or glob: gradient of the summed logits w.r.t. it, written as grad.<site>' })
        .option('mask', { type: 'string', describe: 'mask JSON, e.g. {"layer.0.ffn": [1, 5], "layer.2.attn.heads": [3]}' })
        .option('out', { type: 'string', demandOption: true, describe: 'output safetensors file' }),
    ),
  handler: async (argv) => {
    const batch = await readTokenBatch(argv.inputs);
    const { model } = await setup(argv);
    try {
      const c = model.config;
      // The same check runModel makes; done here first so that a bad name fails before the masks are read.
      const capture = resolveSites(argv.capture, c);
      const grad = resolveSites(argv.grad, c);
      const masks = await optionalMasks(argv.mask, model);
      const inputs = toInputs(batch, c, argv.inputs);
      try {
        const r = runModel(model, inputs, { capture, grad, ...(masks && { masks }) });
        try {
          const out = new Map<string, TensorToWrite>();
          const put = async (name: string, t: { shape: number[]; data(): Promise<ArrayLike<number>> }): Promise<void> => {
            out.set(name, { dtype: 'F32', shape: t.shape, data: await t.data() });
          };
          await put('logits', r.logits);
          for (const [s, t] of r.captured) await put(s, t);
          for (const [s, t] of r.grads) await put(`grad.${s}`, t);
          await writeSafetensors(argv.out, out, { format: 'pt', producer: 'celens forward' });
          process.stderr.write(`celens: wrote ${out.size} tensors to ${argv.out}\n`);
        } finally {
          disposeRun(r);
        }
      } finally {
        disposeInputs(inputs);
      }
    } finally {
      disposeModel(model);
    }
  },
};
