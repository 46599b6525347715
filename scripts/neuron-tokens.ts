/**
 * Which token each FFN neuron of one layer fires on: runs a collection's (query, passage) pairs
 * (each query's first-stage top K) through the model, counts for every neuron the tokens at which
 * its `layer.{l}.ffn.pre` is > 0, and prints, per neuron, its most frequent token, that token's
 * share of the neuron's firings and the share of that token's occurrences the neuron fires on.
 * With the model folder's memory-tokens.txt (written by scripts/idf-memory-init.ts: line j + 1 is
 * the token layer 0's neuron j was built to detect), it also says whether each memory neuron still
 * detects its token after training. docs/study.md reads layer 0's neuron ids as tokens through it.
 *
 *   node dist-all/scripts/neuron-tokens.js weights/celens-ce-tiny --collection ../shared/data/trec-dl-2019-passage
 */
import type * as tf from '../src/backend/tf.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { selectBackend } from '../src/backend/select.js';
import { disposeRun, runModel } from '../src/hooks/run.js';
import { loadCollection } from '../src/ir/detect.js';
import { disposeInputs, toInputs } from '../src/model/inputs.js';
import { disposeModel, loadModel } from '../src/model/load.js';
import { padBatch } from '../src/tokenize/encode.js';
import { loadTokenizer } from '../src/tokenize/load.js';
import { exists } from '../src/weights/sharded.js';

/** Firing counts of one layer's neurons: per neuron, token id → positions it fired on; per token, occurrences. */
export interface FiringCounts {
  byNeuron: Array<Map<number, number>>;
  occurrences: Map<number, number>;
}

export function emptyCounts(neurons: number): FiringCounts {
  return { byNeuron: Array.from({ length: neurons }, () => new Map<number, number>()), occurrences: new Map() };
}

/**
 * Adds one batch: `pre` is [batch·seqLen, I] (row-major, as `layer.{l}.ffn.pre` flattens), a neuron
 * fires at a position where its value is > 0; padded positions are skipped.
 */
export function addBatch(counts: FiringCounts, b: { inputIds: ArrayLike<number>; attentionMask: ArrayLike<number> }, pre: Float32Array, I: number): void {
  const positions = b.inputIds.length;
  if (pre.length !== positions * I) throw new Error(`activations: ${pre.length} values for ${positions} positions × ${I} neurons`);
  for (let p = 0; p < positions; p++) {
    if (!b.attentionMask[p]) continue;
    const t = Number(b.inputIds[p]);
    counts.occurrences.set(t, (counts.occurrences.get(t) ?? 0) + 1);
    for (let j = 0; j < I; j++) {
      if ((pre[p * I + j] as number) <= 0) continue;
      const m = counts.byNeuron[j] as Map<number, number>;
      m.set(t, (m.get(t) ?? 0) + 1);
    }
  }
}

/** One neuron's summary: its most frequent token (lowest id on ties), and how specific it is. */
export interface NeuronToken {
  neuron: number;
  firings: number;
  /** Token id it fires on most; -1 if it never fires. */
  top: number;
  /** Firings on `top`. */
  topFirings: number;
  /** Occurrences of `top` in the pairs. */
  topOccurrences: number;
}

export function summarize(counts: FiringCounts): NeuronToken[] {
  return counts.byNeuron.map((m, neuron) => {
    let firings = 0;
    let top = -1;
    let topFirings = 0;
    for (const [t, n] of m) {
      firings += n;
      if (n > topFirings || (n === topFirings && t < top)) [top, topFirings] = [t, n];
    }
    return { neuron, firings, top, topFirings, topOccurrences: top < 0 ? 0 : (counts.occurrences.get(top) ?? 0) };
  });
}

const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(2)}%` : '—');

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .usage('$0 MODEL --collection DIR: the token each FFN neuron of a layer fires on')
    .demandCommand(1, 'name the model folder')
    .option('collection', { type: 'string', demandOption: true, describe: 'collection with queries, texts and a first-stage run' })
    .option('per-query', { type: 'number', default: 3, describe: 'pairs per query: its first-stage top K' })
    .option('layer', { type: 'number', default: 0 })
    .option('memory', { type: 'string', describe: 'one token a line, line j + 1 = neuron j\'s token (default with --layer 0: MODEL/memory-tokens.txt when present)' })
    .option('backend', { type: 'string', choices: ['wasm', 'cpu'] as const, default: 'wasm' as const })
    .strict()
    .parse();
  const dir = String(argv._[0]);
  await selectBackend(argv.backend);
  const model = await loadModel(dir);
  const tok = await loadTokenizer(dir, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
  const L = argv.layer;
  if (!Number.isInteger(L) || L < 0 || L >= model.config.numLayers) throw new Error(`--layer ${L}: the model has layers 0–${model.config.numLayers - 1}`);
  const I = model.config.intermediateSizes[L] as number;
  const c = await loadCollection(argv.collection);
  if (!c.run) throw new Error(`${argv.collection}: no first-stage run to take each query's top ${argv['per-query']} from`);
  const pairs: Array<[string, string]> = [];
  for (const [qid, entries] of c.run) {
    const q = c.queries.get(qid);
    if (q === undefined) continue;
    for (const e of entries.slice(0, argv['per-query'])) {
      const d = c.docs.get(e.docid);
      if (d !== undefined) pairs.push([q, d]);
    }
  }
  // The memory is layer 0's (idf-memory-init): read by default only there.
  const memoryFile = argv.memory ?? (L === 0 && (await exists(join(dir, 'memory-tokens.txt'))) ? join(dir, 'memory-tokens.txt') : undefined);
  const memory = memoryFile ? (await readFile(memoryFile, 'utf8')).split('\n').filter((l) => l !== '') : [];
  const ids = new Map<string, number>();
  for (let t = 0; t < model.config.vocabSize; t++) {
    const w = tok.idToToken(t);
    if (w !== undefined && !ids.has(w)) ids.set(w, t);
  }
  const counts = emptyCounts(I);
  const site = `layer.${L}.ffn.pre` as const;
  try {
    for (let i = 0; i < pairs.length; i += 32) {
      const b = padBatch(await tok.encodePairs(pairs.slice(i, i + 32), { maxLength: model.config.maxPositionEmbeddings }), model.config.padTokenId);
      const inputs = toInputs(b, model.config);
      const r = runModel(model, inputs, { capture: [site] });
      try {
        addBatch(counts, b, (r.captured.get(site) as tf.Tensor).dataSync() as Float32Array, I);
      } finally {
        disposeRun(r);
        disposeInputs(inputs);
      }
    }
  } finally {
    disposeModel(model);
  }
  const rows = summarize(counts);
  const name = (t: number): string => (t < 0 ? '—' : (tok.idToToken(t) ?? `#${t}`));
  const say = (s = ''): void => void process.stdout.write(`${s}\n`);
  const positions = [...counts.occurrences.values()].reduce((a, b) => a + b, 0);
  say(`model ${dir}, ${site} > 0 counts as firing`);
  say(`pairs ${pairs.length} (${c.name}: each query's first-stage top ${argv['per-query']}), token positions ${positions}`);
  const firing = rows.filter((r) => r.firings > 0);
  const specific = firing.filter((r) => r.topFirings >= 0.9 * r.firings && r.topFirings >= 0.9 * r.topOccurrences);
  say(`neurons that fire: ${firing.length} of ${I}; firing on one token (≥ 90% of its firings, and on ≥ 90% of that token's occurrences): ${specific.length}`);
  if (memory.length) {
    let own = 0, occ = 0, other = 0, all = 0, seen = 0, same = 0;
    for (let j = 0; j < Math.min(memory.length, I); j++) {
      const t = ids.get(memory[j] as string);
      const r = rows[j] as NeuronToken;
      const ownFirings = t === undefined ? 0 : ((counts.byNeuron[j] as Map<number, number>).get(t) ?? 0);
      const ownOcc = t === undefined ? 0 : (counts.occurrences.get(t) ?? 0);
      own += ownFirings;
      occ += ownOcc;
      all += r.firings;
      other += r.firings - ownFirings;
      if (ownOcc > 0) seen++;
      if (ownOcc > 0 && r.top === t) same++;
    }
    say(`memory ${memoryFile}: ${memory.length} neurons; ${seen} of their tokens occur in the pairs, and for ${same} of those the neuron's top token is its own`);
    say(`memory neurons fire on ${own} of their own tokens' ${occ} occurrences (${pct(own, occ)}); of their ${all} firings, ${other} are on another token (${pct(other, all)})`);
  }
  say('');
  say(`neuron  firings  top token          share of firings  its occurrences  fired on${memory.length ? '  memory token' : ''}`);
  for (const r of rows) {
    const cells = [String(r.neuron).padEnd(6), String(r.firings).padStart(7), `  ${name(r.top).padEnd(17)}`, pct(r.topFirings, r.firings).padStart(16), String(r.topOccurrences).padStart(16), pct(r.topFirings, r.topOccurrences).padStart(9)];
    if (memory.length) cells.push(`  ${r.neuron < memory.length ? (memory[r.neuron] as string) : '—'}`);
    say(cells.join(' '));
  }
}

if (process.argv[1]?.endsWith('neuron-tokens.js')) {
  main().catch((e: unknown) => {
    process.stderr.write(`neuron-tokens: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
