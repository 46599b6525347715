/**
 * Which sites an attribution method credits, as `--site` and AttributeOptions.sites name them:
 * a per-layer kind (`ffn.pre`: that site in every layer, as before), a site name
 * (`layer.3.ffn.pre`) or a glob (`layer.*.ffn.post`), validated by model/sites.ts like
 * `forward --capture`. Attributable are the per-layer [B,T,W] sites: FFN neurons before and after
 * the activation, the attention block output and the layer output.
 */
import { SiteError } from '../errors.js';
import { LAYER_SITE_KINDS, layerSite, matchSiteName, resolveSites } from '../model/sites.js';
import type { LayerSiteKind, SiteName } from '../model/sites.js';
import type { BertConfig } from '../weights/config.js';

export type NigSite = 'ffn.pre' | 'ffn.post' | 'out' | 'attn.out';
/** The site kinds attribution credits (each layer's [B,T,W] sites). */
export const NIG_SITES: readonly NigSite[] = ['ffn.pre', 'ffn.post', 'out', 'attn.out'];

/** A site kind (every layer), a site name or a glob. */
export type AttributionSiteSpec = NigSite | SiteName | (string & Record<never, never>);

export interface ResolvedSites {
  /** The chosen sites, layer by layer, kinds in the order the specs first name them. */
  sites: SiteName[];
  /** Their kinds, in that order. */
  kinds: NigSite[];
}

function isNigSite(k: string): k is NigSite {
  return (NIG_SITES as readonly string[]).includes(k);
}

const HELP = `a kind for every layer (${NIG_SITES.join(', ')}) or site names and globs such as layer.3.ffn.pre, layer.*.ffn.post`;

/** Expands and validates site specs (SiteError on a bad one) → sites and kinds. */
export function resolveAttributionSites(specs: readonly string[], c: Pick<BertConfig, 'numLayers'>): ResolvedSites {
  if (specs.length === 0) throw new SiteError(`no site to attribute (give ${HELP})`);
  const kinds: NigSite[] = [];
  const chosen = new Set<SiteName>();
  const add = (s: SiteName, k: NigSite): void => {
    if (!kinds.includes(k)) kinds.push(k);
    chosen.add(s);
  };
  for (const spec of specs) {
    if (isNigSite(spec)) {
      for (let l = 0; l < c.numLayers; l++) add(layerSite(l, spec), spec);
      continue;
    }
    if (!spec.startsWith('layer.') && !spec.includes('*') && matchSiteName(spec) === undefined) {
      throw new SiteError(`unknown site '${spec}' (attribution takes ${HELP})`);
    }
    const hits = resolveSites([spec], c);
    let n = 0;
    for (const s of hits) {
      const p = matchSiteName(s);
      if (p && 'layer' in p && isNigSite(p.kind)) {
        add(s, p.kind);
        n++;
      }
    }
    if (n === 0) throw new SiteError(`site${spec.includes('*') ? ' pattern' : ''} '${spec}' ${spec.includes('*') ? 'matches' : 'is'} no site attribution can credit (it takes ${HELP})`);
  }
  const sites: SiteName[] = [];
  for (let l = 0; l < c.numLayers; l++) for (const k of kinds) if (chosen.has(layerSite(l, k))) sites.push(layerSite(l, k));
  return { sites, kinds };
}

/**
 * The specs in their shortest equal form, so that equal requests give equal job headers (resume,
 * merge): a kind where every layer of it is chosen, else the site names; kinds in first-named order.
 */
export function canonicalSiteSpecs(specs: readonly string[], c: Pick<BertConfig, 'numLayers'>): string[] {
  const { sites, kinds } = resolveAttributionSites(specs, c);
  const out: string[] = [];
  for (const k of kinds) {
    const of = sites.filter((s) => kindOf(s) === k);
    if (of.length === c.numLayers) out.push(k);
    else out.push(...of);
  }
  return out;
}

/** Layers of each kind, in kind order. */
export function layersByKind(r: ResolvedSites): Map<NigSite, number[]> {
  const m = new Map<NigSite, number[]>(r.kinds.map((k) => [k, []]));
  for (const s of r.sites) {
    const p = matchSiteName(s);
    if (p && 'layer' in p && isNigSite(p.kind)) m.get(p.kind)?.push(p.layer);
  }
  return m;
}

function kindOf(s: SiteName): LayerSiteKind | undefined {
  const p = matchSiteName(s);
  return p && 'layer' in p && (LAYER_SITE_KINDS as readonly string[]).includes(p.kind) ? (p.kind as LayerSiteKind) : undefined;
}
