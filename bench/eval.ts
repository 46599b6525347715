/**
 * `celens eval`'s measures on the shared BM25 runs of TREC DL 2019 and 2020 (nDCG@10, AP, RR,
 * P@10, R@100; 43 and 54 queries × 100 hits): milliseconds per full evaluation, median of 20
 * after one warm-up. Was an assertion (< 250 ms) in test/ir/metrics; timings belong here.
 *   npm run bench:eval
 */
import { join, resolve } from 'node:path';
import { evaluate } from '../src/ir/metrics/evaluate.js';
import { readQrels, readRun } from '../src/ir/trec.js';
import { median } from './stats.js';

const DATA = resolve(process.cwd(), '../shared/data');
const CASES = [
  { name: 'DL19', dir: 'trec-dl-2019-passage', qrels: 'qrels.dl19-passage.txt', run: 'trec_results_dl19.txt' },
  { name: 'DL20', dir: 'trec-dl-2020-passage', qrels: 'qrels.dl20-passage.txt', run: 'trec_results_dl20.txt' },
];
const METRICS = ['nDCG@10', 'AP', 'RR', 'P@10', 'R@100'];

for (const c of CASES) {
  const qrels = await readQrels(join(DATA, c.dir, c.qrels));
  const run = await readRun(join(DATA, c.dir, c.run));
  const hits = [...run.values()].reduce((n, e) => n + e.length, 0);
  evaluate(qrels, run, { metrics: METRICS });
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    evaluate(qrels, run, { metrics: METRICS });
    ms.push(performance.now() - t0);
  }
  process.stdout.write(`eval ${c.name}: ${run.size} queries, ${hits} hits, ${METRICS.join(' ')}: ${median(ms).toFixed(1)} ms (median of 20)\n`);
}
