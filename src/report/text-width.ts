/**
 * Text widths for vega's layout without a canvas. Vega measures labels with node-canvas when it
 * is installed and otherwise guesses 0.8 em per character, about 1.5× too wide for a sans-serif
 * font: legends and axes then get wide gaps and labels are dropped as "overlapping". We set the
 * figures in Helvetica/Arial (Liberation Sans and the like share the metrics) and measure with
 * the Helvetica advance widths of the Adobe Core 14 AFM files, in 1/1000 em.
 */
import * as vega from 'vega';

/** The font the figures ask for; every fallback named here has Helvetica's widths. */
export const REPORT_FONT = 'Helvetica, Arial, Liberation Sans, sans-serif';

// Helvetica.afm, characters 32 (space) … 126 (~).
const ASCII = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space … /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 … ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ … O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P … _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` … o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p … ~
];
/** Bold Helvetica is about this much wider on average (Helvetica-Bold.afm). */
const BOLD = 1.08;
/** Characters outside ASCII (…, −, ∩, ±): about the width of a digit. */
const OTHER = 600;

/** Width in pixels of `text` at `fontSize` px. */
export function helveticaWidth(text: string, fontSize: number, bold = false): number {
  let units = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    units += code >= 32 && code <= 126 ? (ASCII[code - 32] as number) : OTHER;
  }
  return (units / 1000) * fontSize * (bold ? BOLD : 1);
}

interface TextItem {
  text?: unknown;
  fontSize?: unknown;
  fontWeight?: unknown;
}

interface TextMetrics {
  width: (item: TextItem, text?: unknown) => number;
}

/** Vega's `textMetrics` (exported by vega-scenegraph through vega, absent from its typings). */
function textMetrics(): TextMetrics | undefined {
  const m: unknown = (vega as unknown as Record<string, unknown>)['textMetrics'];
  return typeof m === 'object' && m !== null && typeof (m as TextMetrics).width === 'function' ? (m as TextMetrics) : undefined;
}

/** Makes vega measure text with the Helvetica widths, unless a real canvas does it already. */
export function useHelveticaMetrics(): void {
  const m = textMetrics();
  if (!m || m.width.name === 'measureWidth' || m.width === measure) return;
  m.width = measure;
}

function measure(item: TextItem, text?: unknown): number {
  const size = typeof item.fontSize === 'number' ? item.fontSize : 11;
  const value = text === undefined || text === null ? '' : String(text).trim();
  const w = item.fontWeight;
  const bold = w === 'bold' || (typeof w === 'number' && w >= 600) || w === '600' || w === '700';
  return helveticaWidth(value, size, bold);
}
