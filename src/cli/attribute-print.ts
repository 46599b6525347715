/** What `celens attribute` prints when it writes no file: per pair, targets, completeness, top neurons. */
import type { PairAttribution } from '../attribution/summary.js';
import { nigBatch } from '../attribution/nig.js';
import { attributeGroup, ATTRIBUTE_DEFAULTS } from '../attribution/attribute.js';
import { planGroups } from '../attribution/plan.js';
import type { AttributeOptions } from '../attribution/attribute.js';
import { UsageError } from '../errors.js';
import type { BertModel } from '../model/bert.js';
import type { BertConfig } from '../weights/config.js';
import { padBatch } from '../tokenize/tokenizer.js';
import type { PairEncoding } from '../tokenize/tokenizer.js';

const say = (s = ''): void => void process.stdout.write(`${s}\n`);
const num = (v: number): string => (v >= 0 ? '+' : '') + v.toFixed(4);

export function printSummary(results: ReadonlyArray<PairAttribution | undefined>, ids: readonly string[], c: BertConfig, top: number): void {
  results.forEach((r, i) => {
    if (!r) return;
    say(`pair ${ids[i]}: ${r.segments.length} tokens, F(x) ${num(r.targetInput)}, F(baseline) ${num(r.targetBaseline)}, change ${num(r.targetInput - r.targetBaseline)}`);
    const comp = Array.from(r.completeness).map((v, l) => (Number.isNaN(v) ? null : `L${l} ${v.toExponential(1)}`)).filter(Boolean);
    if (comp.length) say(`  completeness error (Σ attributions on layer.{l}.out − change): ${comp.join('  ')}`);
    for (const [site, v] of r.sum) {
      const order = Array.from(v.keys()).sort((a, b) => Math.abs(v[b] as number) - Math.abs(v[a] as number)).slice(0, top);
      say(`  ${site.padEnd(18)} Σ ${num(v.reduce((s, x) => s + x, 0))}  top: ${order.map((j) => `#${j} ${num(v[j] as number)}`).join('  ')}`);
    }
  });
  void c;
}

/** `--convergence 10,20,50`: max and mean |completeness error| per layer against the number of steps. */
export async function printConvergence(model: BertModel, pairs: readonly PairEncoding[], o: AttributeOptions, list: string): Promise<void> {
  const steps = list.split(',').map((s) => Number(s.trim()));
  if (steps.some((m) => !Number.isInteger(m) || m < 2)) throw new UsageError(`--convergence takes step counts >= 2, e.g. 10,20,50 (got '${list}')`);
  const L = model.config.numLayers;
  say(`completeness error on layer.{l}.out, ${o.method ?? 'nig'} ${o.rule ?? ''} over ${pairs.length} pairs: max |Σ NIG − (F(x) − F(x′))| (mean)`);
  say(['steps'.padStart(6), ...Array.from({ length: L }, (_v, l) => `layer ${l}`.padStart(22))].join(''));
  for (const m of steps) {
    const worst = new Float64Array(L);
    const mean = new Float64Array(L);
    for (const g of planGroups(pairs.map((p) => p.inputIds.length), o.pairsPerBatch ?? ATTRIBUTE_DEFAULTS.pairsPerBatch)) {
      const batch = padBatch(g.map((i) => pairs[i] as PairEncoding), model.config.padTokenId);
      const res = o.method === 'layer-ig' ? await attributeGroup(model, batch, { ...o, steps: m }) : await nigBatch(model, batch, { ...nigOnly(o), steps: m, sites: ['out'] });
      for (const r of res) {
        r.completeness.forEach((v, l) => {
          worst[l] = Math.max(worst[l] as number, Math.abs(v));
          mean[l] = (mean[l] as number) + Math.abs(v) / pairs.length;
        });
      }
    }
    say([String(m).padStart(6), ...Array.from(worst, (w, l) => `${w.toExponential(2)} (${(mean[l] as number).toExponential(1)})`.padStart(22))].join(''));
  }
}

function nigOnly(o: AttributeOptions): Parameters<typeof nigBatch>[2] {
  const { method: _m, pairsPerBatch: _p, layers: _l, sites: _s, rule, ...rest } = o;
  return { ...rest, ...(rule !== undefined && { rule: rule as 'right' | 'left' | 'trapezoid' }) };
}
