/**
 * The relevance score of a (query, passage) pair: one rule per model, used by every command
 * (score, rank, rerank, prune, demo) and stated by `inspect`.
 *
 * The activation follows sentence-transformers' CrossEncoder: the model's config.json names it
 * (`sentence_transformers.activation_fn` from v4 on, `sbert_ce_default_activation_function`
 * before; the ms-marco cross-encoders say `torch.nn.modules.linear.Identity`, i.e. raw logits);
 * without either key a 1-label head gets a sigmoid. A head with 2 or more labels (MonoBERT:
 * [not relevant, relevant]) is read at label 1, the "relevant" class, after a softmax over the
 * labels unless the config names an activation — P(relevant), the order MonoBERT ranks by
 * (sentence-transformers would return the raw logits of every label there, which do not rank).
 */
import { ConfigError, UsageError } from '../errors.js';
import type { BertConfig } from '../weights/config.js';

/** A function applied to the logits before they are reported or ranked. */
export type Activation = 'none' | 'sigmoid' | 'softmax' | 'tanh';
export const ACTIVATIONS: readonly Activation[] = ['none', 'sigmoid', 'softmax', 'tanh'];

export interface RelevanceRule {
  /** The output read as the relevance score. */
  label: number;
  /** Applied to the logits (softmax: over the labels) before the label is read. */
  activation: Activation;
  /** Why this activation: the config key that named it, a default, or the caller's choice. */
  from: string;
}

/** torch class names sentence-transformers stores, and the activation each one is. */
const TORCH_ACTIVATIONS: Readonly<Record<string, Activation>> = {
  'torch.nn.modules.linear.Identity': 'none',
  'torch.nn.modules.activation.Sigmoid': 'sigmoid',
  'torch.nn.modules.activation.Softmax': 'softmax',
  'torch.nn.modules.activation.Tanh': 'tanh',
};

/** The output a head of `numLabels` outputs is scored by. */
export function scoredLabel(numLabels: number): number {
  return numLabels >= 2 ? 1 : 0;
}

/** The activation config.json names, with the key it came from, or undefined when it names none. */
function configActivation(c: Pick<BertConfig, 'raw'>): { activation: Activation; key: string } | undefined {
  const st = c.raw['sentence_transformers'];
  const candidates: Array<[string, unknown]> = [];
  if (typeof st === 'object' && st !== null && !Array.isArray(st)) candidates.push(['sentence_transformers.activation_fn', (st as Record<string, unknown>)['activation_fn']]);
  candidates.push(['sbert_ce_default_activation_function', c.raw['sbert_ce_default_activation_function']]);
  for (const [key, v] of candidates) {
    if (v === undefined || v === null) continue;
    const activation = typeof v === 'string' ? TORCH_ACTIVATIONS[v] : undefined;
    if (activation === undefined) {
      throw new ConfigError(`"${key}" names an activation celens does not know; pass --activation (${ACTIVATIONS.join('|')}) to choose one`, {
        file: 'config.json',
        found: JSON.stringify(v),
        expected: Object.keys(TORCH_ACTIVATIONS).join(' | '),
      });
    }
    return { activation, key };
  }
  return undefined;
}

/** The model's rule; `activation` (e.g. a --activation flag) overrides the config and the defaults. */
export function relevanceRule(c: Pick<BertConfig, 'numLabels' | 'raw'>, activation?: Activation): RelevanceRule {
  const label = scoredLabel(c.numLabels);
  if (activation !== undefined) {
    // Softmax over one output is 1 for every pair: a "ranking" made only of ties.
    if (activation === 'softmax' && c.numLabels === 1) throw new UsageError('softmax over a single-output head gives 1 for every pair; use none, sigmoid or tanh');
    return { label, activation, from: 'chosen' };
  }
  const named = configActivation(c);
  if (named) {
    if (named.activation === 'softmax' && c.numLabels === 1) {
      throw new ConfigError(`"${named.key}" names Softmax for a 1-label head, which scores every pair 1; pass --activation`, { file: 'config.json' });
    }
    return { label, activation: named.activation, from: `config.json ${named.key}` };
  }
  return c.numLabels === 1
    ? { label, activation: 'sigmoid', from: 'sentence-transformers default for a 1-label head' }
    : { label, activation: 'softmax', from: `default for a ${c.numLabels}-label head: P(label 1)` };
}

/** One line for people: e.g. `sigmoid(logit 0) (sentence-transformers default for a 1-label head)`. */
export function describeRule(r: RelevanceRule, numLabels: number): string {
  const of = numLabels === 1 ? 'logit 0' : `label ${r.label} of ${numLabels}`;
  const what = r.activation === 'none' ? `raw ${of}` : r.activation === 'softmax' ? `softmax over the labels, ${of}` : `${r.activation}(${of})`;
  return `${what} (${r.from})`;
}
