/** The HTML page: figures inline with captions and file names, ids scoped per figure. */
import { escapeHtml, reportHtml, scopeSvgIds } from '../../src/report/html.js';
import { xmlProblem } from './xml.js';

const svg = '<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="gradient_0"/></defs><rect fill="url(#gradient_0)"/></svg>';

test('ids and their references get the figure prefix', () => {
  expect(scopeSvgIds(svg, 'f1')).toBe('<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="f1-gradient_0"/></defs><rect fill="url(#f1-gradient_0)"/></svg>');
});

test('a page with two figures: titles, captions, sources, links, distinct gradient ids', () => {
  const fig = (name: string): { name: string; title: string; caption: string; sources: string[]; svg: string } => ({ name, title: `Title <${name}>`, caption: `Caption of ${name} & more`, sources: [`${name}.jsonl`], svg });
  const html = reportHtml({ title: 'My "report"', figures: [fig('heatmap-ffn.pre'), fig('pruning-nDCG@10')], inputs: ['heatmap-ffn.pre.jsonl', 'pruning-nDCG@10.jsonl'] });
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  expect(html).toContain('<title>My &quot;report&quot;</title>');
  expect(html).toContain('<h2>Title &lt;heatmap-ffn.pre&gt;</h2>');
  expect(html).toContain('Caption of pruning-nDCG@10 &amp; more');
  expect(html).toContain('<code>heatmap-ffn.pre.jsonl</code>');
  expect(html).toContain('<a href="pruning-nDCG@10.vl.json">Vega-Lite spec</a>');
  expect(html).toContain('id="f0-gradient_0"');
  expect(html).toContain('url(#f1-gradient_0)');
  expect(xmlProblem(html.replace('<!DOCTYPE html>\n', '').replace(/<meta charset="utf-8">/, '<meta charset="utf-8"/>').replace(/<br>/g, '<br/>'))).toBeUndefined();
});

test('escapeHtml', () => {
  expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
