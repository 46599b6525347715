/**
 * Vega-Lite spec → SVG string, in Node: compile to Vega, run a headless View (`renderer: 'none'`,
 * no DOM, no canvas) and serialize its scene graph with `toSVG()`. All data is inline, so the
 * loader never touches the network or the disk.
 */
import { createRequire } from 'node:module';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { useHelveticaMetrics } from './text-width.js';

export interface RenderOptions {
  /** Called with each warning vega-lite or vega logs (e.g. a dropped encoding). */
  warn?: (message: string) => void;
}

/** A vega/vega-lite logger that hands warnings on, throws errors, and prints nothing. */
interface Logger {
  level(l?: number): number | Logger;
  error(...args: unknown[]): Logger;
  warn(...args: unknown[]): Logger;
  info(...args: unknown[]): Logger;
  debug(...args: unknown[]): Logger;
}

/** Vega calls the methods detached from the object (no `this`), so they close over their state. */
function collector(onWarn: (message: string) => void): Logger {
  let level = 2; // vega-util's Warn
  const self: Logger = {
    level: (l?: number) => {
      if (l === undefined) return level;
      level = l;
      return self;
    },
    error: (...args: unknown[]) => {
      throw new Error(args.map(String).join(' '));
    },
    warn: (...args: unknown[]) => {
      onWarn(args.map(String).join(' '));
      return self;
    },
    info: () => self,
    debug: () => self,
  };
  return self;
}

/** Renders a vega-lite spec to a standalone SVG document (one `<svg>` element). */
export async function renderSvg(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<string> {
  useHelveticaMetrics();
  const logger = collector(opts.warn ?? (() => undefined));
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * A spec as readable JSON: nested objects indented, but flat objects and arrays of numbers on
 * one line each, so a heatmap's thousands of data rows stay one row per line.
 */
export function specJson(spec: unknown, indent = ''): string {
  const flat = (v: unknown): boolean => typeof v !== 'object' || v === null || Object.values(v).every((x) => typeof x !== 'object' || x === null);
  if (flat(spec)) return JSON.stringify(spec);
  const inner = `${indent}  `;
  if (Array.isArray(spec)) return `[\n${spec.map((v) => inner + specJson(v, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(spec as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${specJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** Arimo (Apache/OFL, metric-compatible with Arial and Helvetica, whose widths lay the figures out). */
const FONT_FILES = ['@expo-google-fonts/arimo/400Regular/Arimo_400Regular.ttf', '@expo-google-fonts/arimo/700Bold/Arimo_700Bold.ttf'];

export interface PngOptions {
  /** Pixels per SVG unit. @default 2 (sharp on high-density screens and in papers) */
  scale?: number;
}

/**
 * An SVG from renderSvg → PNG bytes, rasterized by resvg (prebuilt, no browser). Text is set in
 * the bundled Arimo, never in whatever fonts the machine has: the layout was measured with
 * Helvetica's widths (text-width.ts), and a wider system font would overflow the margins.
 */
export async function renderPng(svg: string, opts: PngOptions = {}): Promise<Buffer> {
  return (await rasterize(svg, opts)).png;
}

/** renderPng's image with its RGBA pixels (tests look for ink at the edges: clipped labels). */
export async function rasterize(svg: string, opts: PngOptions = {}): Promise<{ width: number; height: number; rgba: Buffer; png: Buffer }> {
  const { Resvg } = await import('@resvg/resvg-js');
  const require = createRequire(import.meta.url);
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: opts.scale ?? 2 },
    font: { loadSystemFonts: false, fontFiles: FONT_FILES.map((f) => require.resolve(f)), defaultFontFamily: 'Arimo', sansSerifFamily: 'Arimo' },
  });
  const image = resvg.render();
  return { width: image.width, height: image.height, rgba: image.pixels, png: image.asPng() };
}
