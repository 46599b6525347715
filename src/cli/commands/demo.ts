/**
 * `celens demo [MODEL]`: the main job on the embedded default. Scores example pairs, credits every
 * FFN neuron with Neuron Integrated Gradients, picks the relevance neurons of each layer (highest
 * mean NIG over the relevant pairs), masks them next to random neurons matched per layer, and shows
 * how the scores and the per-query order of relevant over non-relevant pairs move.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { layerNeuronMask, pickLayerNeurons, LAYER_NEURONS_DEFAULTS } from '../../analysis/layer-neurons.js';
import { attribute } from '../../attribution/attribute.js';
import { DEFAULT_MODEL_DIR, EXAMPLE_PAIRS, EXAMPLE_TRIPLES } from '../../defaults.js';
import { readText } from '../../formats/files.js';
import { disposeModel } from '../../model/load.js';
import { parseMasks } from '../../model/masks.js';
import { relevanceScores } from '../../model/score.js';
import { describeRule, relevanceRule } from '../../model/relevance.js';
import { loadTokenizer, readGradedPairsTsv } from '../../tokenize/tokenizer.js';
import { setup, withBackend, withHub, withTokenizer, tokenizerDir } from '../common.js';
import type { BackendArgs, HubArgs, TokenizerArgs } from '../common.js';

interface DemoArgs extends BackendArgs, HubArgs, TokenizerArgs {
  model: string;
  pairs: string;
  triples: string;
  top: number;
  seed: number;
}

export const demoCommand: CommandModule<object, DemoArgs> = {
  command: 'demo [model]',
  describe: 'the main job: score example pairs, find the neurons that move the scores, mask them',
  builder: (y: Argv<object>): Argv<DemoArgs> =>
    withBackend(
      withTokenizer(withHub(y))
        .positional('model', { type: 'string', default: DEFAULT_MODEL_DIR, describe: 'model folder or hub id (default: the embedded model, weights/celens-ce-tiny)' })
        .option('pairs', { type: 'string', default: EXAMPLE_PAIRS, describe: 'query<TAB>passage[<TAB>grade] pairs (grades mark the relevant pairs)' })
        .option('triples', { type: 'string', default: EXAMPLE_TRIPLES, describe: "query<TAB>relevant<TAB>distractor triples: how many the model orders right, and the first three (an empty string skips them)" })
        .option('top', { type: 'number', default: LAYER_NEURONS_DEFAULTS.top as number, describe: 'neurons to mask per layer' })
        .option('seed', { type: 'number', default: LAYER_NEURONS_DEFAULTS.seed, describe: 'seed of the random control mask' }),
    ),
  handler: async (argv) => {
    const t0 = Date.now();
    const { model, dir } = await setup(argv);
    const say = (s = ''): boolean => process.stdout.write(`${s}\n`);
    try {
      const c = model.config;
      say(`celens demo — model ${model.source}`);
      say(`  ${c.numLayers} layers, hidden ${c.hiddenSize}, ${c.numHeads} heads, FFN ${c.intermediateSizes[0]} neurons/layer, ${c.numLabels} label(s)`);
      if (model.source === DEFAULT_MODEL_DIR) say('  (the embedded default: a small cross-encoder trained from scratch on this project\'s machines; see its README.md)');
      const tokenizer = await loadTokenizer(tokenizerDir(argv, dir), { maxPositionEmbeddings: c.maxPositionEmbeddings });
      const { pairs, grades } = await readGradedPairsTsv(argv.pairs);
      const encs = await tokenizer.encodePairs(pairs);
      const base = await relevanceScores(model, encs);
      const relevant = grades.map((g) => g !== undefined && g > 0);
      const labelled = grades.every((g) => g !== undefined) && relevant.some(Boolean);

      // Neuron Integrated Gradients (padq baseline, every layer's ffn.pre, 50 points, trapezoid rule:
      // second order, so the completeness error printed below stays small), averaged over the
      // relevant pairs (relevance neurons) when the file has grades, else over all pairs.
      const nig = await attribute(model, encs, { steps: 50, rule: 'trapezoid' });
      const from = nig.map((_r, i) => (labelled ? relevant[i] === true : true));
      const picked = pickLayerNeurons(nig, c.intermediateSizes, { top: argv.top, seed: argv.seed, include: from });
      const worst = Math.max(...nig.flatMap((r) => Array.from(r.completeness, Math.abs)));
      say();
      say(`${labelled ? 'relevance neurons: highest mean NIG over the relevant pairs' : 'top neurons: highest mean NIG over all pairs'} (${picked.count} pairs; query → [PAD] baseline, 50 steps, trapezoid; completeness error ≤ ${worst.toExponential(1)})`);
      picked.top.forEach((top, l) => {
        const mean = picked.means[l] as Float32Array;
        say(`  layer ${l}: ${top.slice(0, 5).map((j) => `#${j} ${(mean[j] as number) >= 0 ? '+' : ''}${(mean[j] as number).toFixed(4)}`).join('   ')}`);
      });
      const chosen = layerNeuronMask(picked.top);
      const random = layerNeuronMask(picked.random);
      const masked = await relevanceScores(model, encs, { masks: parseMasks(chosen, c) });
      const ctrl = await relevanceScores(model, encs, { masks: parseMasks(random, c) });
      say();
      say(`scores, ${describeRule(relevanceRule(c), c.numLabels)}: unpruned → top-${argv.top}/layer masked | random-${argv.top}/layer masked`);
      pairs.forEach(([q, p], i) => {
        const fmt = (v: number): string => v.toFixed(3).padStart(8);
        const tag = grades[i] === undefined ? '' : relevant[i] ? ' rel' : ' non';
        say(`  ${fmt(base[i] as number)} → ${fmt(masked[i] as number)} | ${fmt(ctrl[i] as number)} ${tag}  ${q} | ${p.length > 44 ? `${p.slice(0, 44)}…` : p}`);
      });
      const meanAbs = (a: number[]): number => a.reduce((s, v, i) => s + Math.abs(v - (base[i] as number)), 0) / a.length;
      say();
      say(`mean |Δ score|: top neurons ${meanAbs(masked).toFixed(4)}, random neurons ${meanAbs(ctrl).toFixed(4)}`);
      if (labelled) {
        // Per query: does every relevant pair outscore every non-relevant one?
        const acc = (s: number[]): string => {
          let ok = 0;
          let all = 0;
          pairs.forEach(([q], i) => {
            if (!relevant[i]) return;
            pairs.forEach(([q2], j) => {
              if (q2 !== q || relevant[j]) return;
              all++;
              if ((s[i] as number) > (s[j] as number)) ok++;
            });
          });
          return `${ok}/${all}`;
        };
        say(`relevant above non-relevant (per query): unpruned ${acc(base)}, top masked ${acc(masked)}, random masked ${acc(ctrl)}`);
      }
      if (argv.triples !== '') {
        // Obvious pairs: a relevant passage against one that only shares a surface word (flu / flue).
        const rows = (await readText(argv.triples, { what: 'triples', error: UsageError })).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l, i) => {
          const f = l.split('\t');
          if (f.length !== 3) throw new UsageError(`${argv.triples}:${i + 1}: expected query<TAB>relevant<TAB>distractor, found ${f.length} field(s)`);
          return f as [string, string, string];
        });
        const s = await relevanceScores(model, await tokenizer.encodePairs(rows.flatMap(([q, r, d]) => [[q, r] as const, [q, d] as const])));
        const right = rows.filter((_r, i) => (s[2 * i] as number) > (s[2 * i + 1] as number)).length;
        say();
        say(`obvious triples (${argv.triples === EXAMPLE_TRIPLES ? 'examples/obvious-triples.tsv' : argv.triples}): relevant above the surface-word distractor in ${right} of ${rows.length}`);
        rows.slice(0, 3).forEach(([q, r, d], i) => {
          const cut = (x: string): string => (x.length > 34 ? `${x.slice(0, 34)}…` : x);
          say(`  ${(s[2 * i] as number) > (s[2 * i + 1] as number) ? 'ok ' : 'NO '} ${q} | ${(s[2 * i] as number).toFixed(3)} ${cut(r)} | ${(s[2 * i + 1] as number).toFixed(3)} ${cut(d)}`);
        });
      }
      say(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s. With a network, run the same on a real reranker:`);
      say('  celens download cross-encoder/ms-marco-MiniLM-L-6-v2 && celens demo cross-encoder/ms-marco-MiniLM-L-6-v2');
    } finally {
      disposeModel(model);
    }
  },
};
