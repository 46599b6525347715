/** trec_eval-style and JSON output. */
import type { Evaluation } from '../../../src/ir/metrics/evaluate.js';
import { evaluationToJson, formatTrecEval } from '../../../src/ir/metrics/report.js';

const ev: Evaluation = {
  measures: ['nDCG@10', 'AP(rel=2)'],
  relLevel: 2,
  perQuery: new Map([
    ['1', { 'nDCG@10': 1, 'AP(rel=2)': 0.25 }],
    ['2', { 'nDCG@10': 0, 'AP(rel=2)': 0.123456 }],
  ]),
  aggregate: { 'nDCG@10': 0.5, 'AP(rel=2)': 0.186728 },
  numQueries: 2,
  skipped: { noQrels: [], noRun: [] },
};

test('measure padded to 22, tab, qid, tab, 4 decimals; per-query blocks before all', () => {
  expect(formatTrecEval(ev)).toBe('nDCG@10               \tall\t0.5000\nAP(rel=2)             \tall\t0.1867\n');
  const lines = formatTrecEval(ev, { perQuery: true }).split('\n');
  expect(lines.slice(0, 4).map((l) => l.split('\t').slice(1).join(' '))).toEqual(['1 1.0000', '1 0.2500', '2 0.0000', '2 0.1235']);
  expect(lines[4]).toMatch(/^nDCG@10 +\tall\t0\.5000$/);
});

test('trec_eval names: num_q (an integer) leads the all block and is not printed per query, as trec_eval -q does', () => {
  // %-22s: 'ndcg_cut_10' + 11 spaces, 'map' + 19, 'num_q' + 17.
  expect(formatTrecEval(ev, { naming: 'trec_eval' })).toBe(
    'num_q                 \tall\t2\nndcg_cut_10           \tall\t0.5000\nmap                   \tall\t0.1867\n',
  );
  const lines = formatTrecEval(ev, { naming: 'trec_eval', perQuery: true }).trimEnd().split('\n');
  expect(lines.map((l) => l.split('\t').map((c) => c.trim()).join(' '))).toEqual([
    'ndcg_cut_10 1 1.0000',
    'map 1 0.2500',
    'ndcg_cut_10 2 0.0000',
    'map 2 0.1235',
    'num_q all 2',
    'ndcg_cut_10 all 0.5000',
    'map all 0.1867',
  ]);
  // The default naming is unchanged: no num_q.
  expect(formatTrecEval(ev, { naming: 'ir_measures' })).toBe(formatTrecEval(ev));
});

test('JSON keeps full precision and adds per-query only when asked', () => {
  expect(evaluationToJson(ev)).not.toHaveProperty('perQuery');
  const j = evaluationToJson(ev, { perQuery: true });
  expect(j.perQuery?.['2']?.['AP(rel=2)']).toBe(0.123456);
  expect(JSON.parse(JSON.stringify(j))).toMatchObject({ relLevel: 2, numQueries: 2, aggregate: { 'AP(rel=2)': 0.186728 } });
});
