/**
 * A physically smaller model from a mask: the masked FFN neurons are removed (their rows of
 * `intermediate.dense.weight`/`.bias`, their columns of `output.dense.weight`), as HF's
 * prune_linear_layer does, so the exported model computes what the masked one does with less
 * work. The folder holds:
 *
 *   config.json        the source config with `intermediate_size` = the widest layer and, when
 *                      layers differ, `celens_intermediate_sizes: [I_0, …, I_{L-1}]` (read by
 *                      weights/config.ts; transformers ignores the key, so only equal widths load there)
 *   model.safetensors  F32, HF state-dict names with the `bert.` prefix, metadata {"format":"pt"}
 *   tokenizer files    copied from the tokenizer folder when present
 *
 * A layer whose every neuron is masked keeps one neuron with all-zero weights, which adds exactly 0.
 *
 * With `means` (mean ablation), each removed neuron's constant contribution W_out[:, i]·mean_i is
 * folded into `output.dense.bias`, so the export computes the mean-ablated model instead.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../formats/files.js';
import type { LoadedModel } from '../model/load.js';
import type { Masks } from '../model/masks.js';
import type { LinearParams, NormParams, Param } from '../weights/hf-names.js';
import { writeSafetensors } from '../weights/safetensors-write.js';
import type { TensorToWrite } from '../weights/safetensors-write.js';
import { TOKENIZER_FILES } from '../tokenize/files.js';


/** Where exportPruned writes, and optional means to fold into the bias (mean ablation). */
export interface ExportOptions {
  /** Output folder (created; files in it are overwritten). */
  out: string;
  /** Per-layer mean activations: fold the removed neurons' means into the output bias. */
  means?: readonly Float32Array[];
  /** Where tokenizer files are copied from. @default the model's folder */
  tokenizerDir?: string;
}

/** What exportPruned wrote: the layer widths kept and removed, parameter counts before and after, the tokenizer files copied. */
export interface ExportResult {
  intermediateSizes: number[];
  removed: number[];
  parameters: { before: number; after: number };
  copied: string[];
}

/** Writes a physically smaller model folder: the masked FFN neurons removed, as HF prune_linear_layer does. */
export async function exportPruned(model: LoadedModel, masks: Masks, opts: ExportOptions): Promise<ExportResult> {
  if (masks.some((m) => m.heads.length > 0)) throw new UsageError('export-pruned removes FFN neurons; head masks are not exported yet');
  const c = model.config;
  const p = model.params;
  const H = c.hiddenSize;
  const tensors = new Map<string, TensorToWrite>();
  const put = (name: string, x: Param): void => void tensors.set(name, { dtype: 'F32', shape: x.shape, data: x.data });
  const lin = (name: string, x: LinearParams): void => {
    put(`${name}.weight`, x.weight);
    put(`${name}.bias`, x.bias);
  };
  const norm = (name: string, x: NormParams): void => lin(name, x);
  put('bert.embeddings.word_embeddings.weight', p.wordEmbeddings);
  put('bert.embeddings.position_embeddings.weight', p.positionEmbeddings);
  put('bert.embeddings.token_type_embeddings.weight', p.tokenTypeEmbeddings);
  norm('bert.embeddings.LayerNorm', p.embeddingsNorm);
  const sizes: number[] = [];
  const removedCounts: number[] = [];
  p.layers.forEach((w, l) => {
    const pre = `bert.encoder.layer.${l}`;
    lin(`${pre}.attention.self.query`, w.query);
    lin(`${pre}.attention.self.key`, w.key);
    lin(`${pre}.attention.self.value`, w.value);
    lin(`${pre}.attention.output.dense`, w.attnOut);
    norm(`${pre}.attention.output.LayerNorm`, w.attnNorm);
    const I = c.intermediateSizes[l] as number;
    const removed = new Set(masks[l]?.ffn ?? []);
    const keep = Array.from({ length: I }, (_v, i) => i).filter((i) => !removed.has(i));
    // A layer pruned to nothing keeps one all-zero neuron (zero row in, zero column out: it adds
    // exactly 0), since zero-width tensors break the wasm backend.
    const K = Math.max(keep.length, 1);
    sizes.push(K);
    removedCounts.push(removed.size);
    // intermediate.dense.weight [I,H]: keep rows; output.dense.weight [H,I]: keep columns.
    const inW = new Float32Array(K * H);
    keep.forEach((i, r) => inW.set(w.ffnIn.weight.data.subarray(i * H, (i + 1) * H), r * H));
    const outW = new Float32Array(H * K);
    for (let h = 0; h < H; h++) keep.forEach((i, r) => (outW[h * K + r] = w.ffnOut.weight.data[h * I + i] as number));
    const outB = Float32Array.from(w.ffnOut.bias.data);
    const mean = opts.means?.[l];
    if (opts.means && !mean) throw new UsageError(`no mean activations for layer ${l}`);
    if (mean) {
      // Mean ablation's constant: Σ_{i removed} W_out[h,i]·mean_i, summed in float64 then rounded once.
      for (let h = 0; h < H; h++) {
        let s = outB[h] as number;
        for (const i of removed) s += (w.ffnOut.weight.data[h * I + i] as number) * (mean[i] as number);
        outB[h] = s;
      }
    }
    tensors.set(`${pre}.intermediate.dense.weight`, { dtype: 'F32', shape: [K, H], data: inW });
    const inB = new Float32Array(K);
    keep.forEach((i, r) => (inB[r] = w.ffnIn.bias.data[i] as number));
    tensors.set(`${pre}.intermediate.dense.bias`, { dtype: 'F32', shape: [K], data: inB });
    tensors.set(`${pre}.output.dense.weight`, { dtype: 'F32', shape: [H, K], data: outW });
    tensors.set(`${pre}.output.dense.bias`, { dtype: 'F32', shape: [H], data: outB });
    norm(`${pre}.output.LayerNorm`, w.outNorm);
  });
  lin('bert.pooler.dense', p.pooler);
  lin('classifier', p.classifier);

  const config: Record<string, unknown> = { ...c.raw, intermediate_size: Math.max(...sizes) };
  delete config.celens_intermediate_sizes;
  if (new Set(sizes).size > 1) config.celens_intermediate_sizes = sizes;
  if ('torch_dtype' in config) config.torch_dtype = 'float32';
  await mkdir(opts.out, { recursive: true });
  await writeFileAtomic(join(opts.out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  await writeSafetensors(join(opts.out, 'model.safetensors'), tensors, { format: 'pt' });
  const copied: string[] = [];
  const from = opts.tokenizerDir ?? model.source;
  for (const f of TOKENIZER_FILES) {
    if (!(await stat(join(from, f)).then((s) => s.isFile(), () => false))) continue;
    await copyFile(join(from, f), join(opts.out, f));
    copied.push(f);
  }
  const count = (m: Map<string, TensorToWrite>): number => [...m.values()].reduce((s, t) => s + t.data.length, 0);
  const before = count(tensors) + sizes.reduce((s, K, l) => s + ((c.intermediateSizes[l] as number) - K) * (2 * H + 1), 0);
  return { intermediateSizes: sizes, removed: removedCounts, parameters: { before, after: count(tensors) }, copied };
}
