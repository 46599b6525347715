/**
 * trec_eval's names for our measures. Expected names are trec_eval's documented ones: a cutoff
 * measure requested as `-m ndcg_cut.10` prints as `ndcg_cut_10` (meas_init.c builds "%s_%ld"),
 * likewise `map_cut.100` → `map_cut_100`, `P.10` → `P_10`, `recall.100` → `recall_100`; `map`,
 * `recip_rank`, `ndcg` and `set_recall` ("num_relevant_retrieved / num_relevant") have no cutoff.
 */
import { UsageError } from '../../../src/errors.js';
import { trecEvalName, trecEvalNames } from '../../../src/ir/metrics/trec-eval-names.js';

test('each measure gets the trec_eval name of the same maths', () => {
  const names: Array<[string, string]> = [
    ['nDCG@10', 'ndcg_cut_10'],
    ['nDCG@1000', 'ndcg_cut_1000'],
    ['nDCG', 'ndcg'],
    ['AP', 'map'],
    ['AP@100', 'map_cut_100'],
    ['RR', 'recip_rank'],
    ['P@10', 'P_10'],
    ['R@100', 'recall_100'],
    ['R', 'set_recall'],
  ];
  for (const [ir, trec] of names) expect([ir, trecEvalName(ir, 1)]).toEqual([ir, trec]);
});

test('RR@k has no trec_eval name: refused, naming the measure, never printed as recip_rank', () => {
  expect(() => trecEvalName('RR@10', 1)).toThrow(UsageError);
  expect(() => trecEvalName('RR@10', 1)).toThrow(
    "'RR@10' has no trec_eval name: recip_rank looks at the whole ranking (ask for RR), and trec_eval -M 10 would cut every other measure too; keep the ir_measures names for RR@10",
  );
});

test('the relevance level is trec_eval -l: names are bare when it is the evaluation level, refused when a measure has its own', () => {
  // --rel-level 2 with AP: `trec_eval -l 2 -m map` prints plain `map`.
  expect(trecEvalNames(['AP', 'AP(rel=2)@5', 'P(rel=2)@10', 'nDCG@10'], 2)).toEqual(['map', 'map_cut_5', 'P_10', 'ndcg_cut_10']);
  expect(() => trecEvalName('AP(rel=2)', 1)).toThrow(
    "'AP(rel=2)' has no trec_eval name at relevance level 1: trec_eval applies one -l to every measure and leaves it out of the names; use relevance level 2 for every measure (--rel-level 2), or keep the ir_measures names",
  );
  expect(() => trecEvalNames(['nDCG@10', 'RR(rel=1)'], 3)).toThrow(/^'RR' has no trec_eval name at relevance level 3/);
});

test('a P without cutoff (only possible as a parsed object) is refused rather than printed as P_', () => {
  expect(() => trecEvalName({ kind: 'P' }, 1)).toThrow("'P': P needs a cutoff, e.g. P@10");
});
