/** Headless rendering: a spec becomes one well-formed <svg>, text measured with Helvetica widths. */
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, specJson } from '../../src/report/render.js';
import { helveticaWidth } from '../../src/report/text-width.js';
import { svgTexts, xmlProblem } from './xml.js';

const spec: TopLevelSpec = {
  data: { values: [{ x: 1, y: 2, s: 'a & b' }, { x: 2, y: 3, s: '<c>' }] },
  mark: 'bar',
  encoding: { x: { field: 's', type: 'nominal', title: 'Series' }, y: { field: 'y', type: 'quantitative', title: 'Value' } },
};

test('renders a standalone SVG with escaped labels', async () => {
  const svg = await renderSvg(spec);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(xmlProblem(svg)).toBeUndefined();
  const texts = svgTexts(svg);
  for (const t of ['Series', 'Value', 'a & b', '<c>']) expect(texts).toContain(t);
});

test('warnings are handed on, not printed', async () => {
  const warnings: string[] = [];
  const bad = { ...spec, encoding: { ...spec.encoding, size: { field: 'missing', type: 'nominal' } } } as TopLevelSpec;
  await renderSvg(bad, { warn: (m) => warnings.push(m) });
  expect(warnings.length).toBeGreaterThan(0);
});

test('Helvetica widths: digits are 0.556 em, bold a little wider, others about a digit', () => {
  expect(helveticaWidth('10', 10)).toBeCloseTo(11.12, 9);
  expect(helveticaWidth('iW', 1000)).toBe(222 + 944);
  expect(helveticaWidth('a', 10, true)).toBeGreaterThan(helveticaWidth('a', 10));
  expect(helveticaWidth('∩', 10)).toBe(6);
});

test('the same label is laid out narrower than vega\'s 0.8 em guess', async () => {
  const label = 'a rather long legend label';
  const one = (text: string): TopLevelSpec => ({ data: { values: [{ s: text }] }, mark: 'point', encoding: { color: { field: 's', type: 'nominal' } } });
  const width = (svg: string): number => Number(/width="(\d+)"/.exec(svg)?.[1]);
  const w = width(await renderSvg(one(label)));
  expect(w).toBeLessThan(0.8 * 11 * label.length + 40);
  expect(w).toBeGreaterThan(helveticaWidth(label, 11));
});

test('specJson: flat rows on one line each, and the same value back', () => {
  const s = { a: { b: [1, 2], rows: [{ x: 1, y: 'q' }, { x: 2, y: 'r' }] }, c: 'd' };
  const text = specJson(s);
  expect(JSON.parse(text)).toEqual(s);
  expect(text.split('\n')).toContain('      {"x":1,"y":"q"},');
  expect(text).toContain('"b": [1,2]');
});
