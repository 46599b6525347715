/**
 * The intervention-site vocabulary, named once (TransformerLens-style). The same strings are API
 * keys, CLI values and tensor names in files:
 *   embeddings            [B,T,H]        output of the embeddings LayerNorm
 *   layer.{l}.attn.probs  [B,heads,T,T]  attention probabilities (after head mask)
 *   layer.{l}.ffn.pre     [B,T,I]        intermediate.dense output, before the activation
 *   layer.{l}.ffn.post    [B,T,I]        after the activation (and the neuron mask)
 *   layer.{l}.out         [B,T,H]        the layer's output (after its closing LayerNorm)
 *   pooler                [B,H]          tanh(dense(h[:,0]))
 *   logits                [B,labels]
 */
import { SiteError } from '../errors.js';
import type { BertConfig } from '../weights/config.js';

export type LayerSiteKind = 'attn.probs' | 'ffn.pre' | 'ffn.post' | 'out';
export const LAYER_SITE_KINDS: readonly LayerSiteKind[] = ['attn.probs', 'ffn.pre', 'ffn.post', 'out'];

export type SiteName = 'embeddings' | 'pooler' | 'logits' | `layer.${number}.${LayerSiteKind}`;

export type Site =
  | { kind: 'embeddings' | 'pooler' | 'logits'; name: SiteName }
  | { kind: LayerSiteKind; layer: number; name: SiteName };

export function layerSite(layer: number, kind: LayerSiteKind): SiteName {
  return `layer.${layer}.${kind}`;
}

/** Every site of a model, in forward order. */
export function allSites(c: Pick<BertConfig, 'numLayers'>): SiteName[] {
  const out: SiteName[] = ['embeddings'];
  for (let l = 0; l < c.numLayers; l++) for (const k of LAYER_SITE_KINDS) out.push(layerSite(l, k));
  out.push('pooler', 'logits');
  return out;
}

const LAYER_RE = /^layer\.(0|[1-9]\d*)\.(attn\.probs|ffn\.pre|ffn\.post|out)$/;

/** Parses a site name, checking the layer index against the config. */
export function parseSite(name: string, c: Pick<BertConfig, 'numLayers'>): Site {
  if (name === 'embeddings' || name === 'pooler' || name === 'logits') return { kind: name, name };
  const m = LAYER_RE.exec(name);
  if (!m) {
    throw new SiteError(`unknown site '${name}' (sites: embeddings, layer.{l}.attn.probs, layer.{l}.ffn.pre, layer.{l}.ffn.post, layer.{l}.out, pooler, logits)`);
  }
  const layer = Number(m[1]);
  if (layer >= c.numLayers) throw new SiteError(`site '${name}': layer ${layer} does not exist (the model has layers 0…${c.numLayers - 1})`);
  return { kind: m[2] as LayerSiteKind, layer, name: name as SiteName };
}

/**
 * Expands names and globs (`*` matches one dot-free part, e.g. `layer.*.ffn.post`) to sites in
 * forward order. A pattern that matches nothing is an error, not a silent no-op.
 */
export function expandSites(patterns: readonly string[], c: Pick<BertConfig, 'numLayers'>): SiteName[] {
  const all = allSites(c);
  const chosen = new Set<SiteName>();
  for (const p of patterns) {
    if (!p.includes('*')) {
      chosen.add(parseSite(p, c).name);
      continue;
    }
    const re = new RegExp(`^${p.split('*').map(escapeRe).join('[^.]+')}$`);
    const hits = all.filter((s) => re.test(s));
    if (hits.length === 0) throw new SiteError(`site pattern '${p}' matches no site`);
    for (const h of hits) chosen.add(h);
  }
  return all.filter((s) => chosen.has(s));
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** The shape a site has for a batch of B sequences of length T. */
export function siteShape(site: Site, c: BertConfig, B: number, T: number): number[] {
  switch (site.kind) {
    case 'embeddings':
    case 'out':
      return [B, T, c.hiddenSize];
    case 'attn.probs':
      return [B, c.numHeads, T, T];
    case 'ffn.pre':
    case 'ffn.post':
      return [B, T, c.intermediateSizes[site.layer] as number];
    case 'pooler':
      return [B, c.hiddenSize];
    case 'logits':
      return [B, c.numLabels];
  }
}
