/**
 * One self-contained HTML page for the figures: each SVG inline (no scripts, no network), with
 * its title, a caption, the input files it was drawn from and links to the SVG and the
 * Vega-Lite spec (`.vl.json`) beside it.
 */

export interface HtmlFigure {
  /** File stem: `<name>.svg`, `<name>.vl.json`. */
  name: string;
  title: string;
  caption: string;
  sources: readonly string[];
  svg: string;
}

export interface HtmlReport {
  title: string;
  figures: readonly HtmlFigure[];
  /** Every input file, listed at the top. */
  inputs: readonly string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * Vega names SVG definitions `gradient_0`, `clip1`, … afresh in every figure; inline in one page,
 * a second `url(#gradient_0)` would paint with the first figure's gradient. Prefix them per figure.
 */
export function scopeSvgIds(svg: string, prefix: string): string {
  return svg
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`);
}

const STYLE = `
  body { font-family: Helvetica, Arial, "Liberation Sans", sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.5rem; margin-bottom: 0.3rem; }
  h2 { font-size: 1.1rem; margin: 2.2rem 0 0.4rem; }
  figure { margin: 0; }
  figure svg { max-width: 100%; height: auto; }
  figcaption { font-size: 0.9rem; line-height: 1.4; max-width: 80ch; margin-top: 0.4rem; }
  .files { color: #555; font-size: 0.85rem; }
  code { font-size: 0.85rem; }
  nav ul { padding-left: 1.2rem; }
`;

export function reportHtml(r: HtmlReport): string {
  const nav = r.figures.map((f) => `<li><a href="#fig-${escapeHtml(f.name)}">${escapeHtml(f.title)}</a></li>`).join('\n');
  const figures = r.figures.map((f, i) => {
    const files = f.sources.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ');
    const links = `<a href="${encodeURI(`${f.name}.svg`)}">SVG</a> · <a href="${encodeURI(`${f.name}.vl.json`)}">Vega-Lite spec</a>`;
    return [
      `<section id="fig-${escapeHtml(f.name)}">`,
      `<h2>${escapeHtml(f.title)}</h2>`,
      '<figure>',
      scopeSvgIds(f.svg, `f${i}`),
      `<figcaption>${escapeHtml(f.caption)}<br><span class="files">From ${files}. ${links}</span></figcaption>`,
      '</figure>',
      '</section>',
    ].join('\n');
  });
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(r.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(r.title)}</h1>`,
    `<p class="files">Inputs: ${r.inputs.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')}</p>`,
    `<nav><ul>\n${nav}\n</ul></nav>`,
    ...figures,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
