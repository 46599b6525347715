/** What `celens attribute` prints: per pair, targets, completeness, top neurons (without --out); the completeness warning. */
import type { PairAttribution } from '../attribution/summary.js';
import { nigBatch } from '../attribution/nig.js';
import { attributeGroup, ATTRIBUTE_DEFAULTS, pathDefaults } from '../attribution/attribute.js';
import { planGroups } from '../attribution/plan.js';
import type { AttributeOptions } from '../attribution/attribute.js';
import { UsageError } from '../errors.js';
import type { BertModel } from '../model/bert.js';
import type { BertConfig } from '../weights/config.js';
import { padBatch } from '../tokenize/tokenizer.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';

const say = (s = ''): void => void process.stdout.write(`${s}\n`);
const num = (v: number): string => (v >= 0 ? '+' : '') + v.toFixed(4);
const pct = (v: number): string => `${Math.abs(v) < 0.01 ? (100 * v).toPrecision(2) : (100 * v).toFixed(1)}%`;

/** The share of |F(x) − F(x′)| that a layer's attributions may miss it by before `attribute` warns. */
export const COMPLETENESS_WARN_AT = 0.1;

export function printSummary(results: ReadonlyArray<PairAttribution | undefined>, ids: readonly string[], c: BertConfig, top: number): void {
  results.forEach((r, i) => {
    if (!r) return;
    say(`pair ${ids[i]}: ${r.segments.length} tokens, F(x) ${num(r.targetInput)}, F(baseline) ${num(r.targetBaseline)}, change ${num(r.targetInput - r.targetBaseline)}`);
    const comp = Array.from(r.completeness).map((v, l) => (Number.isNaN(v) ? null : `L${l} ${v.toExponential(1)} (${pct(r.completenessRelative[l] as number)})`)).filter(Boolean);
    if (comp.length) say(`  completeness error (Σ attributions on layer.{l}.out − change; relative to |change|): ${comp.join('  ')}`);
    for (const [site, v] of r.sum) {
      const order = Array.from(v.keys()).sort((a, b) => Math.abs(v[b] as number) - Math.abs(v[a] as number)).slice(0, top);
      say(`  ${site.padEnd(18)} Σ ${num(v.reduce((s, x) => s + x, 0))}  top: ${order.map((j) => `#${j} ${num(v[j] as number)}`).join('  ')}`);
    }
  });
  void c;
}

/**
 * One line for stderr when, on some pairs, a layer's attributions miss F(x) − F(x′) by more than
 * `at` of |F(x) − F(x′)| (counted over pairs, the worst one named); undefined when none do.
 */
export function completenessWarning(results: ReadonlyArray<Pick<PairAttribution, 'completenessRelative'> | undefined>, ids: readonly string[], at = COMPLETENESS_WARN_AT): string | undefined {
  let pairs = 0;
  let over = 0;
  let worst = { rel: 0, layer: 0, id: '' };
  results.forEach((r, i) => {
    if (!r) return;
    pairs++;
    let bad = false;
    r.completenessRelative.forEach((v, l) => {
      const rel = Math.abs(v);
      if (rel > at) bad = true;
      if (rel > worst.rel) worst = { rel, layer: l, id: ids[i] ?? String(i) };
    });
    if (bad) over++;
  });
  if (over === 0) return undefined;
  return `warning: on ${over} of ${pairs} pairs the attributions on some layer.{l}.out miss F(x) − F(x′) by more than ${pct(at)} of it (worst ${pct(worst.rel)}: layer ${worst.layer}, pair ${worst.id}); more --steps (or --rule trapezoid) bring them closer`;
}

/** `--convergence 10,20,50`: max and mean |completeness error| per layer, and the largest relative to |F(x) − F(x′)|, against the number of steps. */
export async function printConvergence(model: BertModel, pairs: readonly PairEncoding[], o: AttributeOptions, list: string): Promise<void> {
  const steps = list.split(',').map((s) => Number(s.trim()));
  if (steps.some((m) => !Number.isInteger(m) || m < 2)) throw new UsageError(`--convergence takes step counts >= 2, e.g. 10,20,50 (got '${list}')`);
  const L = model.config.numLayers;
  const method = o.method ?? ATTRIBUTE_DEFAULTS.method;
  say(`completeness error on layer.{l}.out, ${method} ${o.rule ?? pathDefaults(method).rule} over ${pairs.length} pairs: max |Σ NIG − (F(x) − F(x′))| (mean; max relative to |F(x) − F(x′)|)`);
  say(['steps'.padStart(6), ...Array.from({ length: L }, (_v, l) => `layer ${l}`.padStart(30))].join(''));
  for (const m of steps) {
    const worst = new Float64Array(L);
    const mean = new Float64Array(L);
    const worstRel = new Float64Array(L);
    for (const g of planGroups(pairs.map((p) => p.inputIds.length), o.pairsPerBatch ?? ATTRIBUTE_DEFAULTS.pairsPerBatch)) {
      const batch = padBatch(g.map((i) => pairs[i] as PairEncoding), model.config.padTokenId);
      const res = o.method === 'layer-ig' ? await attributeGroup(model, batch, { ...o, steps: m }) : await nigBatch(model, batch, { ...nigOnly(o), steps: m, sites: ['out'] });
      for (const r of res) {
        r.completeness.forEach((v, l) => {
          worst[l] = Math.max(worst[l] as number, Math.abs(v));
          mean[l] = (mean[l] as number) + Math.abs(v) / pairs.length;
          const rel = Math.abs(r.completenessRelative[l] as number);
          if (rel > (worstRel[l] as number)) worstRel[l] = rel;
        });
      }
    }
    say([String(m).padStart(6), ...Array.from(worst, (w, l) => `${w.toExponential(2)} (${(mean[l] as number).toExponential(1)}; ${pct(worstRel[l] as number)})`.padStart(30))].join(''));
  }
}

function nigOnly(o: AttributeOptions): Parameters<typeof nigBatch>[2] {
  const { method: _m, pairsPerBatch: _p, layers: _l, sites: _s, alphas: _a, rule, ...rest } = o;
  return { ...rest, ...(rule !== undefined && { rule: rule as 'right' | 'left' | 'trapezoid' }) };
}
