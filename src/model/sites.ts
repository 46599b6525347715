/**
 * The intervention-site vocabulary, named once (TransformerLens-style). The same strings are API
 * keys, CLI values and tensor names in files:
 *   embeddings            [B,T,H]        output of the embeddings LayerNorm
 *   layer.{l}.attn.probs  [B,heads,T,T]  attention probabilities (after head mask)
 *   layer.{l}.attn.out    [B,T,H]        attention block output: self-output dense (after its
 *                                        dropout), before the residual add and LayerNorm
 *   layer.{l}.ffn.pre     [B,T,I]        intermediate.dense output, before the activation
 *   layer.{l}.ffn.post    [B,T,I]        after the activation (and the neuron mask)
 *   layer.{l}.out         [B,T,H]        the layer's output (after its closing LayerNorm)
 *   pooler                [B,H]          tanh(dense(h[:,0]))
 *   logits                [B,labels]
 *
 * Units (what masks, rankings, magnitudes and reports count) are named in the same vocabulary:
 *   layer.{l}.ffn.pre | layer.{l}.ffn.post   FFN neurons of layer l (the same neurons: GELU is
 *                                            element-wise); `layer.{l}.ffn` is the mask spelling
 *   layer.{l}.attn.heads                     attention heads of layer l
 *   layer.{l}                                a layer (keys of per-layer value lists)
 * parseSiteName / matchSiteName are the one parser for all of these names.
 */
import { SiteError } from '../errors.js';
import type { ErrorPlace } from '../errors.js';
import { MAX_LAYERS } from '../weights/config.js';
import type { BertConfig } from '../weights/config.js';

export type LayerSiteKind = 'attn.probs' | 'attn.out' | 'ffn.pre' | 'ffn.post' | 'out';
/** Per-layer site kinds in forward order. */
export const LAYER_SITE_KINDS: readonly LayerSiteKind[] = ['attn.probs', 'attn.out', 'ffn.pre', 'ffn.post', 'out'];

/** A site of the forward pass: `embeddings`, `layer.{l}.<kind>`, `pooler` or `logits` (README, Sites). */
export type SiteName = 'embeddings' | 'pooler' | 'logits' | `layer.${number}.${LayerSiteKind}`;
/** A site name or a glob over site names (`layer.*.ffn.post`); plain strings are checked at run time. */
export type SitePattern = SiteName | `layer.*.${LayerSiteKind}` | (string & Record<never, never>);

export type Site =
  | { kind: 'embeddings' | 'pooler' | 'logits'; name: SiteName }
  | { kind: LayerSiteKind; layer: number; name: SiteName };

/** Per-layer groups of units that are not sites: a mask's FFN neurons and attention heads. */
export type UnitGroupKind = 'ffn' | 'attn.heads';
/** What a `layer.{l}…` name names: a site, a unit group, or (`layer`) the layer itself. */
export type LayerNameKind = LayerSiteKind | UnitGroupKind | 'layer';
export type GlobalSiteKind = 'embeddings' | 'pooler' | 'logits';
export type NameKind = GlobalSiteKind | LayerNameKind;

export type LayerName = { kind: LayerNameKind; layer: number; name: string };
export type ParsedName = { kind: GlobalSiteKind; name: string } | LayerName;

/** The units a name counts: FFN neurons or attention heads. */
export type Unit = 'neurons' | 'heads';

/** The kinds of every site, in forward order (the default of parseSiteName). */
export const SITE_KINDS: readonly NameKind[] = ['embeddings', ...LAYER_SITE_KINDS, 'pooler', 'logits'];
const GLOBAL_KINDS: ReadonlySet<string> = new Set<GlobalSiteKind>(['embeddings', 'pooler', 'logits']);
const LAYER_KINDS: ReadonlySet<string> = new Set<string>([...LAYER_SITE_KINDS, 'ffn', 'attn.heads']);

/** The site name `layer.{layer}.{kind}`. */
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

const LAYER_NAME_RE = /^layer\.(0|[1-9]\d*)(?:\.(.+))?$/;

/**
 * The syntax of a name only (no layer bound): which kind and layer it names, or undefined when
 * it is not in the vocabulary. For keys that may be something else (metadata next to `layer.{l}`
 * keys); everything else should use parseSiteName.
 */
export function matchSiteName(name: string): ParsedName | undefined {
  if (GLOBAL_KINDS.has(name)) return { kind: name as GlobalSiteKind, name };
  const m = LAYER_NAME_RE.exec(name);
  if (!m) return undefined;
  const rest = m[2];
  if (rest !== undefined && !LAYER_KINDS.has(rest)) return undefined;
  return { kind: (rest ?? 'layer') as LayerNameKind, layer: Number(m[1]), name };
}

export interface NameRules {
  /** Kinds accepted, in the order messages list them. @default every site kind (SITE_KINDS) */
  accept?: readonly NameKind[];
  /** When given, a layer the model does not have is an error; without it only MAX_LAYERS bounds it. */
  config?: Pick<BertConfig, 'numLayers'>;
  /** What the name is, for messages ('site', 'mask target', …); the list is headed by its last word + s. @default 'site' */
  what?: string;
  /** Where the name was read (file, line), for messages. */
  place?: ErrorPlace;
}

/** `layer.{l}.ffn.pre`, `embeddings`, `layer.{l}` … as messages list a kind. */
export function nameTemplate(kind: NameKind): string {
  return GLOBAL_KINDS.has(kind) ? kind : kind === 'layer' ? 'layer.{l}' : `layer.{l}.${kind}`;
}

/**
 * The one parser for site and unit names: checks the name against the accepted kinds and its
 * layer against the model, and throws a SiteError that says what is accepted otherwise.
 */
export function parseSiteName(name: string, rules: NameRules = {}): ParsedName {
  const accept = rules.accept ?? SITE_KINDS;
  const what = rules.what ?? 'site';
  const p = matchSiteName(name);
  if (!p || !accept.includes(p.kind)) {
    const label = `${what.split(' ').pop() ?? what}s`;
    throw new SiteError(`unknown ${what} '${name}' (${label}: ${accept.map(nameTemplate).join(', ')})`, rules.place ?? {});
  }
  if ('layer' in p) {
    const n = rules.config?.numLayers;
    if (n !== undefined && p.layer >= n) throw new SiteError(`${what} '${name}': layer ${p.layer} does not exist (the model has layers 0…${n - 1})`, rules.place ?? {});
    if (p.layer >= MAX_LAYERS) throw new SiteError(`${what} '${name}': layer ${p.layer} does not exist (models have at most ${MAX_LAYERS} layers)`, rules.place ?? {});
  }
  return p;
}

/** parseSiteName for names of per-layer things only (masks, rankings, magnitudes): the result has a layer. */
export function parseLayerName(name: string, rules: NameRules & { accept: readonly LayerNameKind[] }): LayerName {
  const p = parseSiteName(name, rules);
  // accept holds per-layer kinds only, so the parsed name has a layer.
  return p as LayerName;
}

/** The units a kind names (FFN sites and the mask's `ffn` name neurons; `attn.heads` heads), if any. */
export function unitOf(kind: NameKind): Unit | undefined {
  if (kind === 'ffn' || kind === 'ffn.pre' || kind === 'ffn.post') return 'neurons';
  if (kind === 'attn.heads') return 'heads';
  return undefined;
}

/** The kind of a per-layer template such as `layer.{l}.ffn.pre` (as rankings name their site), or undefined. */
export function templateKind(template: string): LayerNameKind | undefined {
  if (!template.startsWith('layer.{l}')) return undefined;
  const p = matchSiteName(`layer.0${template.slice('layer.{l}'.length)}`);
  return p && 'layer' in p ? p.kind : undefined;
}

/** Parses a site name, checking the layer index against the config. */
export function parseSite(name: string, c: Pick<BertConfig, 'numLayers'>): Site {
  const p = parseSiteName(name, { config: c });
  return 'layer' in p ? { kind: p.kind as LayerSiteKind, layer: p.layer, name: name as SiteName } : { kind: p.kind, name: name as SiteName };
}

/**
 * The one validation of site names and globs, for the API (runModel) and the CLI alike: expands
 * names and globs (`*` matches one dot-free part, e.g. `layer.*.ffn.post`) to sites in forward
 * order. An unknown name, a layer the model lacks, or a pattern that matches nothing is a
 * SiteError, never a silent no-op.
 */
export function resolveSites(patterns: Iterable<string>, c: Pick<BertConfig, 'numLayers'>): SiteName[] {
  const all = allSites(c);
  const chosen = new Set<SiteName>();
  for (const p of patterns) {
    if (typeof p !== 'string') throw new SiteError(`a site name must be a string (found ${JSON.stringify(p)})`);
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
    case 'attn.out':
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
