/**
 * Trains the embedded BERT cross-encoder from scratch on this machine, with TensorFlow.js and the
 * project's own model code (src/model/bert.ts through src/training/trainable.ts).
 *
 *   npm run train -- --out checkpoints/m       (defaults = stage 1 of the embedded model's recipe;
 *                                              scripts/train-embedded.sh runs all of it)
 *
 * What it does, deterministically from --seed and --threads (wasm backend):
 *   1. builds the WordPiece vocabulary from the training text (scripts/build-vocab.ts);
 *   2. initialises BERT as transformers' _init_weights does (scripts/make-random-model.ts);
 *   3. trains on groups of (query, 1 positive, n−1 negatives) (scripts/train-data.ts) with a
 *      listwise softmax cross-entropy on the logits, AdamW, linear warm-up and decay, gradient
 *      clipping by global norm;
 *   4. writes config.json, model.safetensors and the tokenizer files into --out, and the loss
 *      curve into --out/training_log.json.
 * Every --checkpoint-every steps the weights, the optimiser state and the step are written to
 * --checkpoints (atomically); rerunning the same command resumes from there and gives the same
 * final weights as an uninterrupted run (the data at step s is a pure function of seed and s).
 * With --threads N (default: the number of cores) each step's groups are split into N contiguous
 * shares, one computed here and one on each worker thread (src/training/parallel.ts), and the
 * gradients combined as the full batch's; only float summation order differs from one thread.
 */
import * as tf from '../src/backend/tf.js';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { selectBackend } from '../src/backend/select.js';
import { nativeStatus } from '../src/backend/native.js';
import { writeFileAtomic } from '../src/formats/files.js';
import { progressBar } from '../src/cli/progress.js';
import { assignStateDict, stateDictOf, trainableBert } from '../src/training/trainable.js';
import type { TrainableBert } from '../src/training/trainable.js';
import { adamState, adamwUpdate, batchTensors, clipByGlobalNorm, combineShares, lossAndGrads, shareSizes, weightsChecksum } from '../src/training/step.js';
import type { AdamState, Loss, ShareResult } from '../src/training/step.js';
import { TrainWorkers } from '../src/training/parallel.js';
import { RowPins, rowsOfTokens } from '../src/training/pins.js';
import type { PinnedRows } from '../src/training/pins.js';
import { maskBatch, mlmLossAndGrads, randomMlmHead } from '../src/training/mlm.js';
import type { MaskedBatch, MaskingOptions } from '../src/training/mlm.js';
import { loadTokenizer } from '../src/tokenize/load.js';
import { loadModelForCompute, releaseModel } from '../src/model/load.js';
import { makeScorer } from '../src/model/scorer.js';
import type { PairScorer } from '../src/ir/rerank.js';
import { padBatch } from '../src/tokenize/encode.js';
import type { PairTokenizer, TokenBatch } from '../src/tokenize/encode.js';
import { parseConfig } from '../src/weights/config.js';
import { readSafetensors } from '../src/weights/safetensors.js';
import { writeSafetensors } from '../src/weights/safetensors-write.js';
import { exists } from '../src/weights/sharded.js';
import { TOKENIZER_FILES } from '../src/tokenize/files.js';
import { buildVocab, writeVocab } from './build-vocab.js';
import { configJson, randomStateDict } from './make-random-model.js';
import { overlapInit } from './overlap-init.js';
import type { ModelShape } from './make-random-model.js';
import { hash3, HELD_OUT, loadTrainData, makeGroup, softTargets, TRAIN_SPLIT, vocabularyText } from './train-data.js';
import type { Group, GroupOptions, TrainData } from './train-data.js';

// The step's arithmetic lives in src/training/step.ts, where the worker threads reach it too.
export { adamState, adamwUpdate, clipByGlobalNorm, lossAndGrads } from '../src/training/step.js';
export type { Loss } from '../src/training/step.js';

export interface TrainOptions {
  data: string;
  out: string;
  checkpoints: string;
  seed: number;
  steps: number;
  groupsPerStep: number;
  groupSize: number;
  realShare: number;
  /** Negatives per group from BM25 (the rest random). @default groupSize − 2 */
  hardNegatives?: number;
  /** Negatives from other sources sharing a query word (train-data.ts GroupOptions.crossNegatives). @default 0 */
  crossNegatives?: number;
  /** `overlap`: scripts/overlap-init.ts on top of the random initialisation. @default 'random' */
  init?: 'random' | 'overlap';
  /** Layers that start with W_key = W_query, so that identical tokens attend to each other from step 0. */
  tieQkLayers?: number[];
  /** Standard deviation of the initial query/key weights (default: the 0.02 of every weight). */
  qkStd?: number;
  /** Standard deviation of the initial FFN weights (intermediate and output dense; default the 0.02 of every weight). */
  ffnStd?: number;
  /** Layers whose query/key weights and biases stay at their initial values. */
  freezeQkLayers?: number[];
  /** Parameters (HF names) that stay at their initial values. */
  freeze?: string[];
  /**
   * `NAME=FILE`: rows of the vocabulary-indexed parameter NAME (e.g. bert.embeddings.word_embeddings.weight)
   * that stay at their initial values, one token of the model's vocab.txt a line in FILE (src/training/pins.ts).
   */
  freezeRows?: string[];
  /** @default 'listwise' */
  loss?: Loss;
  lr: number;
  warmup: number;
  weightDecay: number;
  clip: number;
  maxLength: number;
  vocabSize: number;
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  checkpointEvery: number;
  /** Stop (with a checkpoint) once this step is reached, to train in several sittings. */
  stopAfter?: number;
  /**
   * Threads that share each step's groups (the calling thread and threads − 1 workers). Results
   * depend on it through float summation order only. @default 1
   */
  threads?: number;
  /** Steps per loss-curve entry. @default 25 */
  logEvery?: number;
  /** BM25 teacher weight in pseudo-query groups' targets (train-data.ts GroupOptions.teacher). @default 0 */
  teacher?: number;
  /** BM25 teacher weight in real-query groups' targets. @default 0 */
  teacherReal?: number;
  /** BM25 scores are divided by this in the teacher's softmax. @default 1 */
  temperature?: number;
  /**
   * A model folder (any cross-encoder celens loads, with its own tokenizer) that replaces BM25 as
   * the teacher: its logits, divided by `temperature`, give the soft targets, weighted `teacher` in
   * pseudo-query groups and `teacherReal` in real-query groups (knowledge distillation).
   */
  teacherModel?: string;
  /** BM25 hits that pseudo-queries' hard negatives come from. @default 30 */
  poolDepth?: number;
  /** Share of pseudo-queries put into a question template. @default 0 */
  naturalShare?: number;
  /** Start from this model folder's weights (same shape and vocabulary) instead of an initialisation. */
  initFrom?: string;
  /** Also keep a loadable copy of the model every this many steps (checkpoints/<name>/step-<n>/), to compare checkpoints afterwards. */
  keepEvery?: number;
  /**
   * `rank`: the listwise ranking loss on the groups. `mlm`: masked-language-model pre-training on
   * the groups' (query, passage) pairs (src/training/mlm.ts), with BERT's MLM head. @default 'rank'
   */
  objective?: Objective;
  /** Share of tokens masked with --objective mlm. @default 0.15 */
  maskRate?: number;
}

export type Objective = 'rank' | 'mlm';

/** Salt of the MLM masking seeds, so that masking draws are not the groups' draws. */
const MLM_SALT = 0x4d4c4d;

/** The [MASK] id and the ids never masked, from the tokenizer folder's vocab.txt. */
async function maskingOptions(dir: string, vocabSize: number, rate: number | undefined): Promise<MaskingOptions> {
  const vocab = (await readFile(join(dir, 'vocab.txt'), 'utf8')).split('\n');
  const id = (t: string): number => {
    const i = vocab.indexOf(t);
    if (i < 0) throw new Error(`${join(dir, 'vocab.txt')}: no ${t} token, which MLM training needs`);
    return i;
  };
  const specialIds = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(id);
  return { maskId: id('[MASK]'), specialIds, vocabSize, ...(rate !== undefined && { rate }) };
}

export function learningRate(step: number, o: Pick<TrainOptions, 'lr' | 'warmup' | 'steps'>): number {
  if (step < o.warmup) return (o.lr * (step + 1)) / o.warmup;
  return o.lr * Math.max(0, (o.steps - step) / Math.max(1, o.steps - o.warmup));
}

// ---------------------------------------------------------------------------------------------
// One step

/** The groups' (query, passage) pairs, tokenised and padded to the longest. */
export async function encodeBatch(tok: PairTokenizer, groups: readonly Group[], maxLength: number): Promise<TokenBatch> {
  const pairs = groups.flatMap((g) => g.passages.map((p) => [g.query, p] as const));
  return padBatch(await tok.encodePairs(pairs, { maxLength }), 0);
}

export async function encodeGroups(tok: PairTokenizer, groups: readonly Group[], maxLength: number): Promise<tf.Tensor2D[]> {
  return batchTensors(await encodeBatch(tok, groups, maxLength));
}

/**
 * The groups' loss targets, row by row (one-hot on the positive where a group has none), or
 * undefined when no group has a teacher's targets: the plain listwise loss, as before teachers.
 */
export function groupTargets(groups: readonly Group[], groupSize: number): Float32Array | undefined {
  if (!groups.some((g) => g.targets)) return undefined;
  const t = new Float32Array(groups.length * groupSize);
  groups.forEach((g, i) => {
    if (g.targets) t.set(g.targets, i * groupSize);
    else t[i * groupSize] = 1;
  });
  return t;
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

interface TrainLog {
  options: TrainOptions;
  /** Mean loss per logged window. */
  curve: Array<{ step: number; loss: number; gradNorm: number; lr: number; seconds: number; secondsPerStep: number; threads: number }>;
  kinds: Record<string, number>;
}


async function saveCheckpoint(dir: string, tb: TrainableBert, st: AdamState, log: TrainLog): Promise<void> {
  await mkdir(dir, { recursive: true });
  // writeSafetensors is atomic itself (temporary file, fsync, rename).
  await writeSafetensors(join(dir, 'model.safetensors'), stateDictOf(tb.variables), { format: 'pt' });
  const opt = new Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>();
  for (const [kind, vars] of [['m', st.m], ['v', st.v]] as const) {
    for (const [n, x] of vars) opt.set(`${kind}.${n}`, { dtype: 'F32', shape: [...x.shape], data: Float32Array.from(x.dataSync() as Float32Array) });
  }
  await writeSafetensors(join(dir, 'optimizer.safetensors'), opt, { step: String(st.step) });
  // state.json last: a checkpoint counts only once it names its step.
  const state = join(dir, 'state.json');
  await writeFileAtomic(state, `${JSON.stringify({ step: st.step, log }, null, 1)}\n`);
}

/** A loadable copy of the checkpoint's model (weights, config, tokenizer) in step-<n>/. */
async function keepCopy(dir: string, step: number): Promise<void> {
  const to = join(dir, `step-${step}`);
  await mkdir(to, { recursive: true });
  await copyPresent(dir, to, ['model.safetensors', 'config.json', ...TOKENIZER_FILES]);
}

/** Copies those of `files` that exist in `from` into `to`. */
async function copyPresent(from: string, to: string, files: readonly string[]): Promise<void> {
  for (const f of files) if (await exists(join(from, f))) await copyFile(join(from, f), join(to, f));
}

async function loadCheckpoint(dir: string, tb: TrainableBert, st: AdamState): Promise<TrainLog | undefined> {
  if (!(await exists(join(dir, 'state.json')))) return undefined;
  const saved = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as { step: number; log: TrainLog };
  const model = await readSafetensors(join(dir, 'model.safetensors'));
  const opt = await readSafetensors(join(dir, 'optimizer.safetensors'));
  if (opt.metadata.step !== String(saved.step)) throw new Error(`${dir}: optimizer.safetensors is at step ${opt.metadata.step}, state.json at ${saved.step}`);
  assignStateDict(tb.variables, new Map([...model.tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])), join(dir, 'model.safetensors'));
  for (const [kind, vars] of [['m', st.m], ['v', st.v]] as const) {
    for (const [n, x] of vars) {
      const t = opt.tensors.get(`${kind}.${n}`);
      if (!t) throw new Error(`${dir}/optimizer.safetensors: no ${kind}.${n}`);
      tf.tidy(() => x.assign(tf.tensor(t.data as Float32Array, [...t.shape])));
    }
  }
  st.step = saved.step;
  return saved.log;
}

// ---------------------------------------------------------------------------------------------

export async function train(o: TrainOptions): Promise<void> {
  if (o.initFrom) {
    const fresh = [o.qkStd !== undefined && '--qk-std', o.ffnStd !== undefined && '--ffn-std', Boolean(o.tieQkLayers?.length) && '--tie-qk-layers'].filter((f): f is string => typeof f === 'string');
    if (fresh.length) throw new Error(`--init-from ${o.initFrom} takes that model's weights as they are; ${fresh.join(', ')} shape a fresh initialisation only`);
  }
  if (o.teacherModel !== undefined && (o.objective ?? 'rank') !== 'rank') throw new Error(`--teacher-model ${o.teacherModel}: a teacher needs --objective rank`);
  const { backend } = await selectBackend('wasm');
  const t0 = performance.now();
  const data: TrainData = await loadTrainData(o.data, TRAIN_SPLIT);
  process.stderr.write(`training data: ${data.sources.map((s) => `${s.name} (${s.docids.length} docs${s.real.length ? `, ${s.real.length} queries` : ''})`).join(', ')}; held out: ${HELD_OUT.join(', ')}\n`);
  if (o.initFrom && !(await exists(join(o.out, 'vocab.txt')))) {
    // The weights' vocabulary comes with them.
    await mkdir(o.out, { recursive: true });
    await copyPresent(o.initFrom, o.out, TOKENIZER_FILES);
    if (!(await exists(join(o.out, 'vocab.txt')))) throw new Error(`--init-from ${o.initFrom}: no vocab.txt, and its weights need their own vocabulary`);
  }
  if (!(await exists(join(o.out, 'vocab.txt')))) await writeVocab(o.out, buildVocab(vocabularyText(data), o.vocabSize), o.maxLength);
  const tok = await loadTokenizer(o.out);
  const shape: ModelShape = { vocabSize: tok.vocabSize, hiddenSize: o.hidden, numLayers: o.layers, numHeads: o.heads, intermediateSize: o.ffn, maxPositionEmbeddings: o.maxLength, typeVocabSize: 2, numLabels: 1 };
  const raw = JSON.parse(configJson(shape, 0.02, o.seed)) as Record<string, unknown>;
  delete raw.celens_random_init;
  // The model's relevance score is its raw logit, as the ms-marco cross-encoders state it (relevance.ts).
  raw.sbert_ce_default_activation_function = 'torch.nn.modules.linear.Identity';
  const objective = o.objective ?? 'rank';
  // Which matMul kernel trained it: the native one rounds each multiply-add once, so the same
  // command gives other bytes with and without it (CELENS_NATIVE=0 turns it off).
  const nativeIsa = nativeStatus().isa;
  raw.celens_training = { script: 'scripts/train-cross-encoder.ts', seed: o.seed, steps: o.steps, backend, ...(objective !== 'rank' && { objective }), ...(nativeIsa !== null && { matmul: `native-${nativeIsa}` }) };
  const config = parseConfig(raw);
  const init = randomStateDict(shape, o.seed, 0.02);
  // MLM pre-training trains BertForPreTraining's MLM head beside the encoder (from --init-from when it has one).
  if (objective === 'mlm') for (const [n, t] of randomMlmHead(o.hidden, tok.vocabSize, o.seed)) init.set(n, { dtype: 'F32', shape: t.shape, data: t.data });
  if (o.initFrom) {
    // Every tensor from the given model, which must have this run's shape (checked by name and size);
    // a ranking run leaves an MLM head behind (it is not in `init`).
    const from = await readSafetensors(join(o.initFrom, 'model.safetensors'));
    for (const [n, t] of init) {
      const f = from.tensors.get(n);
      if (!f && n.startsWith('cls.')) continue;
      if (!f || f.shape.join('x') !== t.shape.join('x')) throw new Error(`--init-from ${o.initFrom}: ${n} is ${f ? f.shape.join('x') : 'missing'}, this run needs ${t.shape.join('x')}`);
      init.set(n, { ...t, data: Float32Array.from(f.data as Float32Array) });
    }
  } else if (o.init === 'overlap') overlapInit(init, shape, o.seed);
  // The initialisation draws every weight with std 0.02; these rescale some to another std.
  const rescale = (names: readonly string[], std: number): void => {
    for (const name of names) {
      const t = init.get(name);
      if (t) init.set(name, { ...t, data: (t.data as Float32Array).map((x) => (x * std) / 0.02) });
    }
  };
  for (let l = 0; l < shape.numLayers; l++) {
    const p = `bert.encoder.layer.${l}.attention.self`;
    if (o.qkStd !== undefined) rescale([`${p}.query.weight`, `${p}.key.weight`], o.qkStd);
    if (o.ffnStd !== undefined) rescale([`bert.encoder.layer.${l}.intermediate.dense.weight`, `bert.encoder.layer.${l}.output.dense.weight`], o.ffnStd);
    const q = init.get(`${p}.query.weight`);
    if (q && o.tieQkLayers?.includes(l)) init.set(`${p}.key.weight`, { ...q, data: Float32Array.from(q.data as Float32Array) });
  }
  const tb = trainableBert(config, new Map([...init].map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
  const st = adamState(tb.variables);
  const frozen = new Set((o.freezeQkLayers ?? []).flatMap((l) => ['query', 'key'].flatMap((k) => [`bert.encoder.layer.${l}.attention.self.${k}.weight`, `bert.encoder.layer.${l}.attention.self.${k}.bias`])));
  for (const n of o.freeze ?? []) {
    if (!tb.variables.has(n)) throw new Error(`--freeze ${n}: no such parameter (have ${[...tb.variables.keys()].join(', ')})`);
    frozen.add(n);
  }
  const pinned = await pinnedRows(o.freezeRows ?? [], join(o.out, 'vocab.txt'));
  // The teacher scores on this thread: raw logits, at the student's max length.
  const teacherModel = o.teacherModel === undefined ? undefined : await loadModelForCompute(o.teacherModel);
  // Its logit is the score; a 2-label head's relevance is a softmax over labels, not one logit.
  if (teacherModel && teacherModel.config.numLabels !== 1) throw new Error(`--teacher-model ${o.teacherModel}: the teacher needs a head with one output (it has ${teacherModel.config.numLabels})`);
  const teacher = teacherModel && makeScorer(teacherModel, await loadTokenizer(o.teacherModel as string), { activation: 'none', maxLength: Math.min(o.maxLength, teacherModel.config.maxPositionEmbeddings) });
  if (o.teacherModel !== undefined) process.stderr.write(`teacher: ${o.teacherModel} (logits / ${o.temperature ?? 1}; weight ${o.teacher ?? 0} pseudo, ${o.teacherReal ?? 0} real)\n`);
  const log: TrainLog = (await loadCheckpoint(o.checkpoints, tb, st)) ?? { options: o, curve: [], kinds: {} };
  if (st.step > 0) process.stderr.write(`resuming from ${o.checkpoints} at step ${st.step}\n`);
  if (frozen.size > 0) process.stderr.write(`frozen: ${[...frozen].join(', ')}\n`);
  for (const p of pinned) process.stderr.write(`frozen rows: ${p.rows.length} of ${tb.variables.get(p.name)?.shape[0] ?? '?'} in ${p.name}\n`);
  const pins = new RowPins(tb.variables, pinned);
  const threads = o.threads ?? 1;
  const shares = shareSizes(o.groupsPerStep, threads);
  const kind = o.loss ?? 'listwise';
  // Workers start from the weights and optimiser state as they are now (fresh or resumed).
  const workers = threads > 1 ? new TrainWorkers(threads - 1, raw, tb.variables, st, { frozen, pins: pinned, loss: kind, groupSize: o.groupSize }) : undefined;
  const masking = objective === 'mlm' ? await maskingOptions(o.out, tok.vocabSize, o.maskRate) : undefined;
  // A checkpoint folder is a loadable model too (config and tokenizer beside the weights), so that
  // a run can be evaluated while it trains: celens rerank checkpoints/<name> …
  await mkdir(o.checkpoints, { recursive: true });
  await writeFile(join(o.checkpoints, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
  await copyPresent(o.out, o.checkpoints, TOKENIZER_FILES);
  try {
    const bar = progressBar('train');
    let window = { loss: 0, norm: 0, n: 0, ms: 0 };
    const logEvery = o.logEvery ?? 25;
    const stopAt = Math.min(o.steps, o.stopAfter ?? o.steps);
    while (st.step < stopAt) {
      const step = st.step;
      const began = performance.now();
      const groups = Array.from({ length: o.groupsPerStep }, (_v, slot) => makeGroup(data, o.seed, step, slot, groupOptions(o)));
      for (const g of groups) log.kinds[g.kind] = (log.kinds[g.kind] ?? 0) + 1;
      if (teacher) await applyTeacher(groups, teacher, o);
      let loss: number;
      let grads: Map<string, tf.Tensor>;
      // Sequence s of the step is masked from this seed, whichever thread computes it.
      const mlm = masking && { options: masking, seedOf: (s: number): number => hash3(o.seed ^ MLM_SALT, step, s) };
      if (!workers) {
        // One thread: the full batch, exactly as before threads existed (same bytes).
        if (mlm) {
          const m = maskBatch(await encodeBatch(tok, groups, o.maxLength), mlm.seedOf, mlm.options);
          const inputs = batchTensors(m.batch);
          ({ loss, grads } = mlmLossAndGrads(tb, inputs, m.positions, m.labels, frozen));
          tf.dispose(inputs);
        } else {
          const inputs = await encodeGroups(tok, groups, o.maxLength);
          ({ loss, grads } = lossAndGrads(tb, inputs, o.groupsPerStep, o.groupSize, kind, frozen, groupTargets(groups, o.groupSize)));
          tf.dispose(inputs);
        }
      } else {
        ({ loss, grads } = await parallelStep(tok, tb, workers, groups, shares, o, kind, frozen, mlm));
      }
      if (!Number.isFinite(loss)) {
        tf.dispose([...grads.values()]);
        throw new Error(`loss is ${loss} at step ${step}; lower --lr`);
      }
      pins.maskGrads(grads);
      const norm = clipByGlobalNorm(grads, o.clip);
      const lr = learningRate(step, o);
      // Workers apply the same final gradients with the same AdamW (and put the same rows back), while this thread does.
      workers?.update(grads, lr, o.weightDecay);
      adamwUpdate(tb.variables, grads, st, lr, o.weightDecay);
      pins.restore(tb.variables);
      tf.dispose([...grads.values()]);
      window = { loss: window.loss + loss, norm: window.norm + norm, n: window.n + 1, ms: window.ms + performance.now() - began };
      bar.update(st.step, o.steps);
      if (st.step % logEvery === 0 || st.step === o.steps) {
        const entry = { step: st.step, loss: window.loss / window.n, gradNorm: window.norm / window.n, lr, seconds: Math.round((performance.now() - t0) / 1000), secondsPerStep: Math.round(window.ms / window.n) / 1000, threads };
        log.curve.push(entry);
        window = { loss: 0, norm: 0, n: 0, ms: 0 };
        if (!process.stderr.isTTY) process.stderr.write(`step ${entry.step}/${o.steps} loss ${entry.loss.toFixed(4)} |g| ${entry.gradNorm.toFixed(2)} lr ${lr.toExponential(2)} ${entry.seconds}s (${entry.secondsPerStep.toFixed(3)} s/step on ${threads} thread${threads > 1 ? 's' : ''}) tensors ${tf.memory().numTensors}\n`);
      }
      if (st.step % o.checkpointEvery === 0 || st.step === stopAt) {
        if (workers) await checkCopies(workers, tb, st);
        await saveCheckpoint(o.checkpoints, tb, st, log);
        if (o.keepEvery && st.step % o.keepEvery === 0) await keepCopy(o.checkpoints, st.step);
      }
    }
    bar.stop();
    if (st.step < o.steps) {
      process.stderr.write(`stopped at step ${st.step} of ${o.steps}; the same command resumes from ${o.checkpoints}\n`);
      tf.dispose([...tb.variables.values(), ...st.m.values(), ...st.v.values()]);
      pins.dispose();
      return;
    }
    await mkdir(o.out, { recursive: true });
    await writeFile(join(o.out, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
    await writeSafetensors(join(o.out, 'model.safetensors'), stateDictOf(tb.variables), { format: 'pt' });
    await writeFile(join(o.out, 'training_log.json'), `${JSON.stringify(log, null, 1)}\n`);
    tf.dispose([...tb.variables.values(), ...st.m.values(), ...st.v.values()]);
    pins.dispose();
    process.stderr.write(`wrote ${o.out} (${o.steps} steps, ${Math.round((performance.now() - t0) / 1000)} s)\n`);
  } finally {
    await workers?.close();
    if (teacherModel) await releaseModel(teacherModel);
  }
}

/**
 * One step on the calling thread and the workers: share 0 here, share i on worker i; the shares'
 * batches go out first so that the workers compute while this thread does.
 */
async function parallelStep(tok: PairTokenizer, tb: TrainableBert, workers: TrainWorkers, groups: readonly Group[], shares: readonly number[], o: TrainOptions, kind: Loss, frozen: ReadonlySet<string>, mlm?: { options: MaskingOptions; seedOf: (sequence: number) => number }): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
  const starts = shares.map((_n, i) => shares.slice(0, i).reduce((a, b) => a + b, 0));
  // With MLM a share weighs by its masked tokens (the loss is a mean over tokens), and sequence s of
  // the step is masked from the same seed whichever share it lands in.
  const masked = async (m: NonNullable<typeof mlm>, start: number, share: readonly Group[]): Promise<MaskedBatch> => maskBatch(await encodeBatch(tok, share, o.maxLength), (s) => m.seedOf(start * o.groupSize + s), m.options);
  const weights: number[] = [...shares];
  for (let i = 1; i < shares.length; i++) {
    const n = shares[i] as number;
    const start = starts[i] as number;
    const share = groups.slice(start, start + n);
    if (mlm) {
      const m = await masked(mlm, start, share);
      weights[i] = m.positions.length;
      workers.startGrads(i - 1, m.batch, n, undefined, { positions: m.positions, labels: m.labels });
    } else workers.startGrads(i - 1, await encodeBatch(tok, share, o.maxLength), n, groupTargets(share, o.groupSize));
  }
  const mine = shares[0] as number;
  const m0 = mlm ? await masked(mlm, 0, groups.slice(0, mine)) : undefined;
  const inputs = batchTensors(m0 ? m0.batch : await encodeBatch(tok, groups.slice(0, mine), o.maxLength));
  const results: ShareResult[] = [];
  try {
    if (m0) results.push({ ...mlmLossAndGrads(tb, inputs, m0.positions, m0.labels, frozen), groups: m0.positions.length });
    else results.push({ ...lossAndGrads(tb, inputs, mine, o.groupSize, kind, frozen, groupTargets(groups.slice(0, mine), o.groupSize)), groups: mine });
    for (let i = 1; i < shares.length; i++) results.push({ ...(await workers.grads(i - 1, tb.variables)), groups: weights[i] as number });
    return combineShares(results);
  } finally {
    tf.dispose(inputs);
    for (const r of results) tf.dispose([...r.grads.values()]);
  }
}

/** Every copy of the weights must be this thread's, bit for bit (a cheap guard against drift). */
async function checkCopies(workers: TrainWorkers, tb: TrainableBert, st: AdamState): Promise<void> {
  const here = weightsChecksum(tb.variables);
  for (const [i, w] of (await workers.checksums()).entries()) {
    if (w.step !== st.step || w.checksum !== here) throw new Error(`training worker ${i + 1} has drifted: step ${w.step}, weights checksum ${w.checksum.toString(16)}; this thread: step ${st.step}, ${here.toString(16)}`);
  }
}

/** `--freeze-rows NAME=FILE` specs as row lists (tokens looked up in the model's vocab.txt). */
async function pinnedRows(specs: readonly string[], vocabFile: string): Promise<PinnedRows[]> {
  if (specs.length === 0) return [];
  const vocab = (await readFile(vocabFile, 'utf8')).split('\n');
  const out: PinnedRows[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new Error(`--freeze-rows ${spec}: want NAME=FILE`);
    const file = spec.slice(eq + 1);
    out.push({ name: spec.slice(0, eq), rows: rowsOfTokens((await readFile(file, 'utf8')).split('\n'), vocab, file) });
  }
  return out;
}

/**
 * --teacher-model: sets each group's targets from the teacher's logits of its (query, passage)
 * pairs, softTargets(logits, λ, temperature), λ = `teacher` for pseudo-query groups and
 * `teacherReal` for real ones; groups whose λ is 0 keep the one-hot target. All groups of a step
 * are scored in one call.
 */
export async function applyTeacher(groups: Group[], score: PairScorer, o: Pick<TrainOptions, 'teacher' | 'teacherReal' | 'temperature'>): Promise<void> {
  const lambdaOf = (g: Group): number => (g.kind === 'real' ? o.teacherReal : o.teacher) ?? 0;
  const taught = groups.filter((g) => lambdaOf(g) > 0);
  const logits = await score(taught.flatMap((g) => g.passages.map((p) => [g.query, p] as const)));
  let k = 0;
  for (const g of taught) {
    g.targets = softTargets(logits.slice(k, k + g.passages.length), lambdaOf(g), o.temperature ?? 1);
    k += g.passages.length;
  }
}

/** The data options of a run (train-data.ts), only those set, so that defaults stay the data's own. */
function groupOptions(o: TrainOptions): GroupOptions {
  // With a teacher model the weights are its (applyTeacher), and the data computes no BM25 targets.
  const bm25 = o.teacherModel === undefined;
  return {
    groupSize: o.groupSize,
    realShare: o.realShare,
    ...(o.hardNegatives !== undefined && { hardNegatives: o.hardNegatives }),
    ...(o.crossNegatives && { crossNegatives: o.crossNegatives }),
    ...(bm25 && o.teacher !== undefined && { teacher: o.teacher }),
    ...(bm25 && o.teacherReal !== undefined && { teacherReal: o.teacherReal }),
    ...(o.temperature !== undefined && { temperature: o.temperature }),
    ...(o.poolDepth !== undefined && { poolDepth: o.poolDepth }),
    ...(o.naturalShare !== undefined && { naturalShare: o.naturalShare }),
  };
}

/** The trainer's command line as the options `train` takes (the entry point below runs train on it; tests read the recipe's commands with it). */
export async function parseTrainArgs(args: readonly string[]): Promise<TrainOptions> {
  const argv = await yargs([...args])
    .option('data', { type: 'string', default: '../shared/data' })
    .option('out', { type: 'string', demandOption: true, describe: 'folder for the trained model (required, so that no default overwrites the embedded model in weights/)' })
    .option('checkpoints', { type: 'string', describe: 'checkpoint folder (default: checkpoints/<name of --out>)' })
    .option('seed', { type: 'number', default: 20261127 })
    .option('steps', { type: 'number', default: 1000 })
    .option('groups-per-step', { type: 'number', default: 8 })
    .option('group-size', { type: 'number', default: 4 })
    .option('real-share', { type: 'number', default: 0.3 })
    .option('hard-negatives', { type: 'number', describe: 'negatives per group from BM25, the rest random (default: group size − 2)' })
    .option('cross-negatives', { type: 'number', describe: 'negatives per group from other collections that share a query word (needs --teacher-model; default 0)' })
    .option('init', { choices: ['random', 'overlap'] as const, default: 'overlap' as 'random' | 'overlap', describe: 'random (HF _init_weights) or overlap (scripts/overlap-init.ts on top of it)' })
    .option('tie-qk-layers', { type: 'number', array: true, describe: 'layers initialised with W_key = W_query' })
    .option('ffn-std', { type: 'number', describe: 'standard deviation of the initial FFN weights (default 0.02)' })
    .option('qk-std', { type: 'number', describe: 'standard deviation of the initial query/key weights (default 0.02)' })
    .option('freeze-qk-layers', { type: 'number', array: true, describe: 'layers whose query/key weights stay at their initial values' })
    .option('freeze', { type: 'string', array: true, describe: 'parameters (HF names) that stay at their initial values' })
    .option('freeze-rows', { type: 'string', array: true, describe: 'NAME=FILE: rows of a vocabulary-indexed parameter that stay at their initial values, one token of the model\'s vocab.txt a line in FILE' })
    .option('loss', { choices: ['listwise', 'hinge'] as const, default: 'listwise' as Loss })
    .option('lr', { type: 'number', default: 2e-4 })
    .option('warmup', { type: 'number', default: 100 })
    .option('weight-decay', { type: 'number', default: 0.01 })
    .option('clip', { type: 'number', default: 1 })
    .option('max-length', { type: 'number', default: 128 })
    .option('vocab-size', { type: 'number', default: 8192 })
    .option('layers', { type: 'number', default: 2 })
    .option('hidden', { type: 'number', default: 128 })
    .option('heads', { type: 'number', default: 2 })
    .option('ffn', { type: 'number', default: 512 })
    .option('checkpoint-every', { type: 'number', default: 50 })
    .option('stop-after', { type: 'number', describe: 'stop at this step (checkpointed); rerun to go on' })
    .option('threads', { type: 'number', default: availableParallelism(), describe: 'threads sharing each step\'s groups (default: the number of cores); results differ across thread counts by float summation order only' })
    .option('log-every', { type: 'number', default: 25, describe: 'steps per loss-curve entry' })
    .option('teacher', { type: 'number', describe: 'weight of the BM25 teacher in pseudo-query groups\' targets, 0–1 (default 0: one-hot on the source passage)' })
    .option('teacher-real', { type: 'number', describe: 'weight of the BM25 teacher in real-query groups\' targets, 0–1 (default 0)' })
    .option('temperature', { type: 'number', describe: 'BM25 scores (or --teacher-model\'s logits) are divided by this in the teacher\'s softmax (default 1)' })
    .option('teacher-model', { type: 'string', describe: 'model folder whose logits replace BM25 as the teacher (distillation; --teacher and --teacher-real weigh it)' })
    .option('pool-depth', { type: 'number', describe: 'BM25 hits that pseudo-queries\' hard negatives come from (default 30)' })
    .option('natural-share', { type: 'number', describe: 'share of pseudo-queries put into a question template (default 0)' })
    .option('keep-every', { type: 'number', describe: 'also keep a loadable copy of the model every N steps in <checkpoints>/step-<n>/' })
    .option('init-from', { type: 'string', describe: 'start from this model folder\'s weights (same shape and vocabulary)' })
    .option('objective', { choices: ['rank', 'mlm'] as const, default: 'rank' as Objective, describe: 'rank: the ranking loss; mlm: masked-language-model pre-training on the same pairs, with an MLM head' })
    .option('mask-rate', { type: 'number', describe: 'share of tokens masked with --objective mlm (default 0.15)' })
    .strict()
    .parse();
  const name = argv.out.replace(/\/+$/, '').replace(/.*\//, '');
  return {
    data: argv.data,
    out: argv.out,
    checkpoints: argv.checkpoints ?? join('checkpoints', name),
    seed: argv.seed,
    steps: argv.steps,
    groupsPerStep: argv['groups-per-step'],
    groupSize: argv['group-size'],
    realShare: argv['real-share'],
    ...(argv['hard-negatives'] !== undefined && { hardNegatives: argv['hard-negatives'] }),
    ...(argv['cross-negatives'] !== undefined && { crossNegatives: argv['cross-negatives'] }),
    init: argv.init,
    ...(argv['tie-qk-layers'] !== undefined && { tieQkLayers: argv['tie-qk-layers'] }),
    ...(argv['qk-std'] !== undefined && { qkStd: argv['qk-std'] }),
    ...(argv['ffn-std'] !== undefined && { ffnStd: argv['ffn-std'] }),
    ...(argv['freeze-qk-layers'] !== undefined && { freezeQkLayers: argv['freeze-qk-layers'] }),
    ...(argv.freeze !== undefined && { freeze: argv.freeze }),
    ...(argv['freeze-rows'] !== undefined && { freezeRows: argv['freeze-rows'] }),
    loss: argv.loss,
    lr: argv.lr,
    warmup: argv.warmup,
    weightDecay: argv['weight-decay'],
    clip: argv.clip,
    maxLength: argv['max-length'],
    vocabSize: argv['vocab-size'],
    layers: argv.layers,
    hidden: argv.hidden,
    heads: argv.heads,
    ffn: argv.ffn,
    checkpointEvery: argv['checkpoint-every'],
    ...(argv['stop-after'] !== undefined && { stopAfter: argv['stop-after'] }),
    threads: argv.threads,
    logEvery: argv['log-every'],
    ...(argv.teacher !== undefined && { teacher: argv.teacher }),
    ...(argv['teacher-real'] !== undefined && { teacherReal: argv['teacher-real'] }),
    ...(argv['teacher-model'] !== undefined && { teacherModel: argv['teacher-model'] }),
    ...(argv.temperature !== undefined && { temperature: argv.temperature }),
    ...(argv['pool-depth'] !== undefined && { poolDepth: argv['pool-depth'] }),
    ...(argv['natural-share'] !== undefined && { naturalShare: argv['natural-share'] }),
    ...(argv['init-from'] !== undefined && { initFrom: argv['init-from'] }),
    ...(argv['keep-every'] !== undefined && { keepEvery: argv['keep-every'] }),
    objective: argv.objective,
    ...(argv['mask-rate'] !== undefined && { maskRate: argv['mask-rate'] }),
  };
}

if (process.argv[1]?.endsWith('train-cross-encoder.js')) await train(await parseTrainArgs(hideBin(process.argv)));
