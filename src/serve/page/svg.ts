/** Inline SVG primitives for the page's charts: elements, colour scales, text that fits. */

const NS = 'http://www.w3.org/2000/svg';

type Attrs = Record<string, string | number>;

export function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<SVGElement | string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  for (const c of children) e.append(c);
  return e;
}

/** A native tooltip for an SVG element. */
export function tip(e: SVGElement, text: string): SVGElement {
  e.append(el('title', {}, text));
  return e;
}

/** Blue (negative) – white – red (positive), by v / max (clamped), with a square-root lift so small values still show. */
export function diverging(v: number, max: number): string {
  const t = max > 0 ? Math.max(-1, Math.min(1, v / max)) : 0;
  const s = Math.sqrt(Math.abs(t));
  const fade = Math.round(255 * (1 - s));
  return t >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
}

/** White to deep purple, for values in [0, 1] (attention probabilities). */
export function sequential(v: number): string {
  const t = Math.sqrt(Math.max(0, Math.min(1, v)));
  const r = Math.round(255 - t * (255 - 84));
  const g = Math.round(255 - t * (255 - 39));
  const b = Math.round(255 - t * (255 - 143));
  return `rgb(${r},${g},${b})`;
}

/** Largest |value|. */
export function maxAbs(values: Iterable<number>): number {
  let m = 0;
  for (const v of values) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** A label cut to `n` characters. */
export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** Approximate width of text in the page's 11px sans-serif. */
export function textWidth(s: string, px = 11): number {
  return Math.ceil(s.length * px * 0.6);
}

export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : v.toFixed(digits);
}
