// Summaries for docs/study.md that no celens command prints (scripts/study.sh runs them):
//
//   node scripts/study-summary.mjs nig FILE.jsonl…     what each attribution file holds (sha256,
//        pairs, queries, pairs per query) and its completeness error per layer, absolute
//        |Σ NIG on layer.{l}.out − (F(x) − F(x′))| and relative to |F(x) − F(x′)|
//   node scripts/study-summary.mjs overlap MASK.json…  every pair of neuron sets (celens neurons
//        --out): sizes, shared neurons, Jaccard, and the number two random sets with the same
//        per-layer counts share on average (Σ_l a_l·b_l / n_l)
//
// Plain Node, no dependencies: it reads the files celens wrote and prints text tables.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const say = (s = '') => process.stdout.write(`${s}\n`);
const pad = (s, n) => String(s).padStart(n);
const sci = (v) => (Number.isFinite(v) ? v.toExponential(2) : '—');
const pct = (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '—');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

function nig(files) {
  const WARN = 0.1;
  for (const file of files) {
    const bytes = readFileSync(file);
    const lines = bytes.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    const header = JSON.parse(lines[0]);
    const records = lines.slice(1).map((l) => JSON.parse(l));
    const o = header.options ?? {};
    say(`file ${basename(file)}  sha256 ${createHash('sha256').update(bytes).digest('hex')}  ${bytes.length} bytes`);
    say(`method ${o.method}, baseline ${o.baseline}, target ${o.target}, steps ${o.steps}, rule ${o.rule}`);
    const rel = records.filter((r) => r.source?.relevant === true);
    const non = records.filter((r) => r.source?.relevant === false);
    const perQuery = new Map();
    for (const r of records) {
      const q = r.source?.qid ?? '?';
      const e = perQuery.get(q) ?? { rel: 0, non: 0 };
      if (r.source?.relevant) e.rel++;
      else e.non++;
      perQuery.set(q, e);
    }
    const counts = [...perQuery.values()];
    say(`pairs ${records.length} (relevant ${rel.length}, non-relevant ${non.length}), queries ${perQuery.size}, most pairs of one query: relevant ${Math.max(...counts.map((c) => c.rel))}, non-relevant ${Math.max(...counts.map((c) => c.non))}`);
    const change = records.map((r) => Math.abs(r.target.input - r.target.baseline));
    say(`|F(x) − F(x′)| over pairs: min ${sci(Math.min(...change))}  median ${sci(median(change))}  mean ${sci(mean(change))}  max ${sci(Math.max(...change))}`);
    say('the logit F on the pair (x) and on its baseline (x′), and the signed change, per group');
    say(['group'.padEnd(14), pad('pairs', 6), pad('mean F(x)', 11), pad('mean F(x′)', 11), pad('mean change', 12), pad('median change', 14), pad('change > 0', 11)].join(''));
    for (const [name, rs] of [['relevant', rel], ['non-relevant', non], ['all', records]]) {
      const d = rs.map((r) => r.target.input - r.target.baseline);
      say([name.padEnd(14), pad(rs.length, 6), pad(sci(mean(rs.map((r) => r.target.input))), 11), pad(sci(mean(rs.map((r) => r.target.baseline))), 11), pad(sci(mean(d)), 12), pad(sci(median(d)), 14), pad(d.filter((v) => v > 0).length, 11)].join(''));
    }
    const L = Math.max(...records.map((r) => r.completeness.length));
    say(`completeness error per layer (absolute: |Σ NIG − (F(x) − F(x′))|; relative: divided by |F(x) − F(x′)|); pairs over ${pct(WARN)} relative`);
    say(['layer', 'max abs', 'mean abs', 'median abs', 'max rel', 'mean rel', 'median rel', 'pairs>10%'].map((s, i) => (i === 0 ? s.padEnd(6) : pad(s, 12))).join(''));
    let over = 0;
    const overPair = new Set();
    for (let l = 0; l < L; l++) {
      const abs = records.map((r) => Math.abs(r.completeness[l])).filter(Number.isFinite);
      const relv = records.map((r) => Math.abs(r.completeness_relative[l])).filter(Number.isFinite);
      const n = records.filter((r, i) => {
        const bad = Math.abs(r.completeness_relative[l]) > WARN;
        if (bad) overPair.add(i);
        return bad;
      }).length;
      over = Math.max(over, n);
      say([String(l).padEnd(6), pad(sci(Math.max(...abs)), 12), pad(sci(mean(abs)), 12), pad(sci(median(abs)), 12), pad(pct(Math.max(...relv)), 12), pad(pct(mean(relv)), 12), pad(pct(median(relv)), 12), pad(n, 12)].join(''));
    }
    say(`pairs over ${pct(WARN)} on some layer: ${overPair.size} of ${records.length}`);
    // FFN sites are not cuts of the network: their sums need not equal F(x) − F(x′).
    const sites = Object.keys(records[0]?.sum ?? {});
    if (sites.length) {
      say('Σ NIG over a site\'s neurons, as a share of F(x) − F(x′) (signed; 100% = all of the change)');
      say(['site'.padEnd(20), pad('mean', 10), pad('median', 10), pad('q05', 10), pad('q95', 10)].join(''));
      for (const site of sites) {
        const share = records.map((r) => r.sum[site].reduce((a, b) => a + b, 0) / (r.target.input - r.target.baseline)).filter(Number.isFinite);
        const s = [...share].sort((a, b) => a - b);
        const q = (p) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
        say([site.padEnd(20), pad(pct(mean(share)), 10), pad(pct(median(share)), 10), pad(pct(q(0.05)), 10), pad(pct(q(0.95)), 10)].join(''));
      }
    }
    say();
  }
}

function readMask(file) {
  const mask = JSON.parse(readFileSync(file, 'utf8'));
  const meta = JSON.parse(readFileSync(file.replace(/\.json$/, '.meta.json'), 'utf8'));
  const layers = meta.perLayer.length;
  const width = meta.total / layers;
  const sets = Array.from({ length: layers }, (_v, l) => new Set(mask[`layer.${l}.ffn`] ?? []));
  return { name: basename(file, '.json'), sets, width, size: sets.reduce((s, x) => s + x.size, 0) };
}

/** log(n!) for n = 0…max. */
function logFactorials(max) {
  const f = new Float64Array(max + 1);
  for (let n = 2; n <= max; n++) f[n] = f[n - 1] + Math.log(n);
  return f;
}

/**
 * P(|A ∩ B| ≥ shared) when B is drawn uniformly at random with its per-layer counts, independent of
 * A: per layer a hypergeometric count (n_l neurons, a_l of them in A, b_l drawn), summed over layers
 * by convolution. A one-sided test of "more shared than chance".
 */
function overlapP(a, b, width, shared) {
  const lf = logFactorials(width);
  const logC = (n, k) => (k < 0 || k > n ? -Infinity : lf[n] - lf[k] - lf[n - k]);
  let dist = [1];
  a.forEach((A, l) => {
    const K = A.size;
    const d = (b[l] ?? new Set()).size;
    const pmf = [];
    for (let x = 0; x <= Math.min(K, d); x++) pmf.push(Math.exp(logC(K, x) + logC(width - K, d - x) - logC(width, d)));
    const next = new Array(dist.length + pmf.length - 1).fill(0);
    dist.forEach((p, i) => pmf.forEach((q, j) => (next[i + j] += p * q)));
    dist = next;
  });
  return Math.min(1, dist.slice(shared).reduce((s, p) => s + p, 0));
}

function overlap(files) {
  const masks = files.map(readMask);
  const w = Math.max(...masks.map((m) => m.name.length));
  say('pairs of neuron sets: |A ∩ B| shared neurons, Jaccard |A ∩ B| / |A ∪ B|, chance = mean |A ∩ B| of two random sets with the same per-layer counts (Σ_l a_l·b_l / n_l),');
  say('p(≥) = P(|A ∩ B| ≥ the shared count) for B drawn at random with its per-layer counts (exact: per-layer hypergeometric, convolved)');
  say(['set A'.padEnd(w), 'set B'.padEnd(w), pad('|A|', 5), pad('|B|', 5), pad('|A∩B|', 6), pad('Jaccard', 8), pad('chance', 8), pad('p(≥)', 9)].join('  '));
  for (let i = 0; i < masks.length; i++) {
    for (let j = i + 1; j < masks.length; j++) {
      const a = masks[i];
      const b = masks[j];
      let shared = 0;
      let chance = 0;
      a.sets.forEach((s, l) => {
        const t = b.sets[l] ?? new Set();
        for (const x of s) if (t.has(x)) shared++;
        chance += (s.size * t.size) / a.width;
      });
      const union = a.size + b.size - shared;
      const p = overlapP(a.sets, b.sets, a.width, shared);
      say([a.name.padEnd(w), b.name.padEnd(w), pad(a.size, 5), pad(b.size, 5), pad(shared, 6), pad((union ? shared / union : 0).toFixed(3), 8), pad(chance.toFixed(2), 8), pad(p >= 1e-4 ? p.toFixed(4) : p.toExponential(2), 9)].join('  '));
    }
  }
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'nig' && args.length) nig(args);
else if (cmd === 'overlap' && args.length > 1) overlap(args);
else {
  process.stderr.write('usage: node scripts/study-summary.mjs nig FILE.jsonl… | overlap MASK.json MASK.json…\n');
  process.exit(2);
}
