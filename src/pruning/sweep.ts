/**
 * A pruning sweep: for each budget and strategy (random controls over seeds), remove the chosen units,
 * rerank the collection's first-stage candidates, and evaluate, next to three baselines — the
 * first stage itself, a random ranking of the same candidates, and the unpruned model.
 *
 * Work shared by every cell (see engine.ts): the candidates are planned (ir/rerank.ts
 * planCandidates) and tokenized once; the batches and their padding are fixed once; the unpruned
 * pass runs once and keeps the residual stream at the stage points the cells restart from.
 */
import { UsageError } from '../errors.js';
import type { Collection, Run, RunEntry } from '../ir/collection.js';
import { evaluate } from '../ir/metrics/evaluate.js';
import { randomFloor } from '../ir/random-floor.js';
import { limitQueries, planCandidates, RERANK_DEFAULTS } from '../ir/rerank.js';
import { findTopKTies } from '../ir/ties.js';
import { compareBytes, compareTrec } from '../ir/trec.js';
import type { BertModel } from '../model/bert.js';
import { relevanceRule } from '../model/relevance.js';
import type { Activation } from '../model/relevance.js';
import type { PairTokenizer, Truncation } from '../tokenize/tokenizer.js';
import { intervention } from './ablate.js';
import type { Ablation } from './ablate.js';
import { defaultStrategies, planCells } from './cells.js';
import { ENGINE_DEFAULTS, makeEngine, scoreCell, scoreUnpruned } from './engine.js';
import { orderRow, SWEEP_VERSION, SweepJournal } from './journal.js';
import type { CellRow, SweepHeader } from './journal.js';
import { ffnMeans, magnitudeScores, referenceSample } from './means.js';
import type { FfnMeans } from './means.js';
import { scoresFingerprint } from './ranking.js';
import type { Unit } from './ranking.js';
import type { Strategy, StrategyScores } from './select.js';

/** A pruning sweep: strategies, budgets, seeds, ablation, metrics, and the journal it writes and resumes. */
export interface SweepOptions {
  /** @default 'neurons' */
  unit?: Unit;
  /** The first-stage run file, when it is not the collection's own (recorded in the sweep's header). */
  runFile?: string;
  /** @default those the scores allow (cells.ts defaultStrategies) */
  strategies?: Strategy[];
  /** `0.5%`, `0.005` or a count. @default SWEEP_DEFAULTS.budgets */
  budgets?: string[];
  /** Seeds 1…seeds for each random control (`random`, `random:S`). @default 10 */
  seeds?: number;
  /** @default 'zero' */
  ablation?: Ablation;
  scores?: StrategyScores;
  /** Mean activations (mean ablation, magnitude); computed from `referencePairs` when absent. */
  means?: FfnMeans;
  /** @default 256 */
  referencePairs?: number;
  /** First-stage candidates per query. @default 100 */
  topK?: number;
  /** Only the first N judged queries of the first stage (strcmp order). */
  maxQueries?: number;
  /** @default ['nDCG@10', 'RR@10'] */
  metrics?: string[];
  /** @default 1 */
  relLevel?: number;
  /** @default 32 */
  batchSize?: number;
  /** @default 'none' */
  activation?: Activation;
  maxLength?: number;
  /** @default 'longest_first' */
  truncation?: Truncation;
  /** Memory for the cached residual streams; 0 = recompute everything per cell. @default 1 GiB */
  cacheBytes?: number;
  /** JSONL journal to append to and resume from. */
  out?: string;
  stop?: { requested: boolean };
  /** After each finished cell (resumed ones not included). */
  onCell?: (row: CellRow, done: number, total: number) => void;
  /** Called when means were computed here (so a caller can cache them). */
  onMeans?: (m: FfnMeans) => void | Promise<void>;
}

/** Defaults of SweepOptions. */
export const SWEEP_DEFAULTS = {
  unit: 'neurons' as Unit,
  budgets: ['0.1%', '0.5%', '1%', '2%', '5%'],
  seeds: 10,
  ablation: 'zero' as Ablation,
  referencePairs: 256,
  metrics: ['nDCG@10', 'RR@10'],
  relLevel: 1,
};

/** Every row of a sweep (baselines, then cells) and whether it finished. */
export interface SweepResult {
  header: SweepHeader;
  /** Every row in plan order: baselines, then cells (fewer if stopped). */
  rows: CellRow[];
  complete: boolean;
  resumed: number;
  warnings: string[];
  /** Wall time of the unpruned pass and of the cells run here; half-layers run and skipped by reuse. */
  timing: { unprunedMs: number; cellsMs: number; cells: number; work: { run: number; skipped: number } };
}

/** Prunes by each strategy at each budget, reranks the collection's candidates and records the metrics per cell (resumable). */
export async function runSweep(model: BertModel, tokenizer: PairTokenizer, collection: Collection, opts: SweepOptions = {}): Promise<SweepResult> {
  const unit = opts.unit ?? SWEEP_DEFAULTS.unit;
  const ablation = opts.ablation ?? SWEEP_DEFAULTS.ablation;
  const topK = opts.topK ?? RERANK_DEFAULTS.topK;
  const relLevel = opts.relLevel ?? SWEEP_DEFAULTS.relLevel;
  const metrics = opts.metrics ?? SWEEP_DEFAULTS.metrics;
  const scores: StrategyScores = { ...opts.scores };
  const strategies = opts.strategies ?? defaultStrategies(unit, scores);
  if (unit === 'heads' && ablation === 'mean') throw new UsageError('mean ablation replaces FFN neurons; heads are masked with zeros (use --ablation zero for heads)');

  const plan = { unit, strategies, budgets: opts.budgets ?? SWEEP_DEFAULTS.budgets, seeds: opts.seeds ?? SWEEP_DEFAULTS.seeds };
  // Fail on bad budgets or missing rankings before any model work (magnitude may wait for the means).
  const byMagnitude = (x: Strategy): boolean => x === 'magnitude' || x === 'random:magnitude';
  planCells(model.config, { ...plan, strategies: strategies.filter((x) => !byMagnitude(x) || scores.magnitude) }, scores);

  const c = limitQueries(collection, opts.maxQueries);
  const { cands, warnings } = planCandidates(c, topK);
  if (cands.length === 0) throw new UsageError(`${collection.name}: no candidates to rerank`);
  const encs = await tokenizer.encodePairs(
    cands.map((x) => [x.query, x.doc] as const),
    { ...(opts.maxLength !== undefined && { maxLength: opts.maxLength }), truncation: opts.truncation ?? 'longest_first' },
  );
  let means = opts.means;
  const needMeans = ablation === 'mean' || (strategies.some(byMagnitude) && !scores.magnitude);
  if (needMeans && !means) {
    means = await ffnMeans(model, referenceSample(encs, opts.referencePairs ?? SWEEP_DEFAULTS.referencePairs), { ...(opts.batchSize && { batchSize: opts.batchSize }) });
    await opts.onMeans?.(means);
  }
  if (strategies.some(byMagnitude) && !scores.magnitude && means) scores.magnitude = magnitudeScores(means);
  const cells = planCells(model.config, plan, scores);

  const fp = (k: keyof StrategyScores): string | undefined => (scores[k] ? scoresFingerprint(scores[k]) : undefined);
  const header: SweepHeader = {
    celens: 'prune',
    version: SWEEP_VERSION,
    model: model.source,
    collection: collection.name,
    queries: new Set(cands.map((x) => x.qid)).size,
    pairs: cands.length,
    options: {
      unit, ablation, strategies, budgets: cells.map((x) => x.budgetLabel).filter((b, i, a) => a.indexOf(b) === i), seeds: plan.seeds,
      topK, maxQueries: opts.maxQueries ?? null, metrics, relLevel,
      activation: relevanceRule(model.config, opts.activation).activation, batchSize: opts.batchSize ?? ENGINE_DEFAULTS.batchSize,
      maxLength: opts.maxLength ?? null, truncation: opts.truncation ?? 'longest_first',
      ranking: fp('ranking') ?? null, rankingNonrel: fp('nonrel') ?? null, magnitude: fp('magnitude') ?? null,
      means: ablation === 'mean' ? (means?.reference ?? null) : null,
      // Only when given: sweeps written before --run existed keep their header and resume.
      ...(opts.runFile !== undefined && { run: opts.runFile }),
    },
    // The queries evaluate() scores: judged ones with candidates (each row's per_query order).
    qids: [...new Set(cands.map((x) => x.qid))].filter((q) => c.qrels.has(q)).sort(compareBytes),
  };
  const { journal, done } = await SweepJournal.open(opts.out, header);
  // Budgets once rounded to the nearest unit (now up, as neuron sets count): a journal written
  // then may hold a cell of the same name that removed one unit fewer. Never mix the two.
  const stale = cells.find((x) => (done.get(x.cell)?.n ?? x.n) !== x.n);
  if (stale) {
    await journal.close();
    throw new UsageError(
      `${opts.out}: its cell ${stale.cell} removed ${done.get(stale.cell)?.n} units, this sweep removes ${stale.n} (budgets round up now, ⌈share × total⌉, as neuron sets count); delete it or choose another --out`,
    );
  }
  const resumed = done.size;
  const rows: CellRow[] = [];
  const timing = { unprunedMs: 0, cellsMs: 0, cells: 0, work: { run: 0, skipped: 0 } };
  const total = cells.length + 3;
  const emit = async (found: CellRow): Promise<void> => {
    const row = orderRow(found);
    rows.push(row);
    if (done.has(row.cell)) return;
    await journal.write(row);
    opts.onCell?.(row, rows.length, total);
  };
  const L = model.config.numLayers;
  const base = { unit, ablation: null, budget: null, n: 0, counts_per_layer: new Array<number>(L).fill(0) };
  const evalRun = (run: Run): Pick<CellRow, 'metrics' | 'ties_top10' | 'per_query'> => {
    const ev = evaluate(c.qrels, run, { metrics, relLevel });
    const qids = [...ev.perQuery.keys()];
    if (qids.join('\n') !== header.qids.join('\n')) throw new Error(`internal: evaluated queries ${qids.join(' ')} are not the header's ${header.qids.join(' ')}`);
    const per_query = Object.fromEntries(ev.measures.map((m) => [m, qids.map((q) => ev.perQuery.get(q)?.[m] as number)]));
    return { metrics: ev.aggregate, ties_top10: findTopKTies(run, 10).queriesWithTies, per_query };
  };
  try {
    const firstScore = new Map(cands.map((x) => [`${x.qid}\t${x.docid}`, (c.run?.get(x.qid) ?? []).find((e) => e.docid === x.docid)?.score ?? 0]));
    const first = buildRun(cands, (i) => firstScore.get(`${cands[i]?.qid}\t${cands[i]?.docid}`) ?? 0);
    await emit(done.get('first-stage') ?? { cell: 'first-stage', strategy: 'first-stage', ...base, ...evalRun(first), mean_abs_delta: null });
    const floor = randomFloor(c.qrels, first, { depth: topK, metrics, relLevel });
    await emit(done.get('random-ranking') ?? { cell: 'random-ranking', strategy: 'random-ranking', ...base, metrics: floor.aggregate, mean_abs_delta: null, ties_top10: 0 });

    const pending = cells.filter((x) => !done.has(x.cell));
    if (pending.length === 0 && done.has('unpruned')) {
      for (const x of ['unpruned', ...cells.map((y) => y.cell)]) rows.push(done.get(x) as CellRow);
      return { header, rows, complete: true, resumed, warnings, timing };
    }
    const engine = makeEngine(model, encs, { ...(opts.batchSize && { batchSize: opts.batchSize }), ...(opts.activation && { activation: opts.activation }), ...(opts.cacheBytes !== undefined && { cacheBytes: opts.cacheBytes }) });
    let t0 = performance.now();
    const unpruned = await scoreUnpruned(engine, pending.map((x) => x.start));
    timing.unprunedMs = performance.now() - t0;
    await emit(done.get('unpruned') ?? { cell: 'unpruned', strategy: 'unpruned', ...base, ...evalRun(buildRun(cands, (i) => unpruned[i] as number)), mean_abs_delta: 0 });
    for (const x of cells) {
      const found = done.get(x.cell);
      if (found) {
        rows.push(found);
        continue;
      }
      if (opts.stop?.requested) return { header, rows, complete: false, resumed, warnings, timing };
      t0 = performance.now();
      const iv = intervention(x.masks, ablation, means?.mean);
      let s: Float32Array;
      try {
        s = await scoreCell(engine, iv, x.start);
      } finally {
        iv.dispose();
      }
      timing.cellsMs += performance.now() - t0;
      timing.cells++;
      let delta = 0;
      for (let i = 0; i < s.length; i++) delta += Math.abs((s[i] as number) - (unpruned[i] as number));
      await emit({
        cell: x.cell, strategy: x.strategy, unit, ablation, budget: x.budget, n: x.n, ...(x.seed !== undefined && { seed: x.seed }),
        ...(x.matchedTo !== undefined && { matched_to: x.matchedTo }), counts_per_layer: x.counts, ...evalRun(buildRun(cands, (i) => s[i] as number)), mean_abs_delta: delta / s.length,
      });
    }
    timing.work = engine.work;
    return { header, rows, complete: true, resumed, warnings, timing };
  } finally {
    await journal.close();
  }
}


/** Candidates with scores → a run ranked as trec_eval ranks it. */
function buildRun(cands: ReadonlyArray<{ qid: string; docid: string }>, score: (i: number) => number): Run {
  const run: Run = new Map();
  cands.forEach((x, i) => {
    let list = run.get(x.qid);
    if (!list) run.set(x.qid, (list = []));
    list.push({ docid: x.docid, score: score(i), rank: 0 });
  });
  for (const [q, list] of run) run.set(q, list.sort(compareTrec).map((e: RunEntry, i) => ({ ...e, rank: i + 1 })));
  return run;
}
