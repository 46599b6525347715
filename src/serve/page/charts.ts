/**
 * The explorer's charts, drawn as inline SVG: per layer, the top neurons' signed sums as bars over
 * a token × neuron heat map (clicking a neuron's column masks it); the four input parts' sums; the
 * layers' totals; one head's attention probabilities.
 */
import type { AttentionResponse, LayerAttribution, SegmentLayout, SegmentSums } from './api-types.js';
import { clip, diverging, el, fmt, maxAbs, sequential, textWidth, tip } from './svg.js';

/** CSS class of a token by the part of the input it is in. */
export function tokenClass(t: number, s: SegmentLayout): string {
  if (t === s.cls || t === s.sep1 || t === s.sep2) return 'tok-special';
  if (t >= s.query[0] && t < s.query[1]) return 'tok-query';
  return 'tok-passage';
}

export interface LayerChartOptions {
  isMasked: (layer: number, neuron: number) => boolean;
  onToggle: (layer: number, neuron: number) => void;
}

/** Bars of the top neurons' Σ over tokens above their token × neuron heat map; a column is one neuron. */
export function layerChart(la: LayerAttribution, tokens: readonly string[], seg: SegmentLayout, o: LayerChartOptions): SVGSVGElement {
  const colW = 22;
  const rowH = 14;
  const barH = 80;
  const headH = 30;
  const labels = tokens.map((t) => clip(t, 16));
  const labelW = Math.max(...labels.map((l) => textWidth(l))) + 10;
  const n = la.top.length;
  const width = labelW + n * colW + 8;
  const top = barH + headH;
  const height = top + tokens.length * rowH + 4;
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart layer-chart', role: 'img', 'aria-label': `layer ${la.layer}: top neurons per token` });
  const barMax = maxAbs(la.topSums);
  const cellMax = maxAbs(la.perToken.flat());
  const zero = barH / 2;
  svg.append(el('line', { x1: labelW, x2: labelW + n * colW, y1: zero, y2: zero, class: 'axis' }));
  svg.append(el('text', { x: labelW - 6, y: zero + 4, 'text-anchor': 'end', class: 'axis-label' }, 'Σ tokens'));
  labels.forEach((l, t) => {
    svg.append(el('text', { x: labelW - 6, y: top + t * rowH + rowH - 3, 'text-anchor': 'end', class: `token ${tokenClass(t, seg)}` }, l));
  });
  la.top.forEach((neuron, c) => {
    const x = labelW + c * colW;
    const masked = o.isMasked(la.layer, neuron);
    const g = el('g', { class: `neuron${masked ? ' masked' : ''}`, 'data-layer': la.layer, 'data-neuron': neuron, tabindex: 0, role: 'button', 'aria-pressed': String(masked) });
    const v = la.topSums[c] as number;
    const h = barMax > 0 ? (Math.abs(v) / barMax) * (zero - 4) : 0;
    const s = la.topSegments[c] as SegmentSums;
    const what = `layer ${la.layer} neuron ${neuron}: Σ ${fmt(v)} (CLS ${fmt(s.cls)}, query ${fmt(s.query)}, SEP ${fmt(s.sep)}, passage ${fmt(s.passage)})\n${masked ? 'masked — click to unmask' : 'click to mask'}`;
    g.append(el('rect', { x, y: 0, width: colW, height: height - 4, class: 'hit' }));
    g.append(tip(el('rect', { x: x + 3, y: v >= 0 ? zero - h : zero, width: colW - 6, height: Math.max(h, 0.5), class: v >= 0 ? 'bar pos' : 'bar neg' }), what));
    g.append(tip(el('text', { x: x + colW / 2, y: barH + headH - 8, 'text-anchor': 'middle', class: 'neuron-label' }, String(neuron)), what));
    la.perToken.forEach((row, t) => {
      const value = row[c] as number;
      g.append(tip(el('rect', { x, y: top + t * rowH, width: colW - 1, height: rowH - 1, fill: diverging(value, cellMax), class: 'cell' }), `${tokens[t] ?? ''} × neuron ${neuron}: ${fmt(value)}`));
    });
    if (masked) g.append(el('rect', { x: x + 0.5, y: top - 0.5, width: colW - 2, height: tokens.length * rowH, class: 'mask-outline' }));
    g.addEventListener('click', () => o.onToggle(la.layer, neuron));
    g.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        o.onToggle(la.layer, neuron);
      }
    });
    svg.append(g);
  });
  return svg;
}

/** Signed horizontal bars with their values: one per label, on a shared scale `max`. */
export function signedBars(labels: readonly string[], values: readonly number[], max: number, cls: string): SVGSVGElement {
  const labelW = Math.max(...labels.map((l) => textWidth(l))) + 10;
  const half = 110;
  const rowH = 18;
  const valueW = 70;
  const width = labelW + 2 * half + valueW;
  const height = labels.length * rowH + 4;
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: `chart ${cls}`, role: 'img' });
  const mid = labelW + half;
  svg.append(el('line', { x1: mid, x2: mid, y1: 0, y2: height, class: 'axis' }));
  labels.forEach((l, i) => {
    const v = values[i] as number;
    const w = max > 0 ? (Math.abs(v) / max) * (half - 2) : 0;
    const y = i * rowH + 2;
    svg.append(el('text', { x: labelW - 6, y: y + rowH - 6, 'text-anchor': 'end', class: 'axis-label' }, l));
    svg.append(tip(el('rect', { x: v >= 0 ? mid : mid - w, y: y + 2, width: Math.max(w, 0.5), height: rowH - 6, class: v >= 0 ? 'bar pos' : 'bar neg' }), `${l}: ${fmt(v)}`));
    svg.append(el('text', { x: labelW + 2 * half + 6, y: y + rowH - 6, class: 'value' }, fmt(v)));
  });
  return svg;
}

/** Σ NIG of a layer's FFN neurons over the four parts of the input. */
export function segmentChart(s: SegmentSums, max: number): SVGSVGElement {
  return signedBars(['CLS', 'query', 'SEP', 'passage'], [s.cls, s.query, s.sep, s.passage], max, 'segment-chart');
}

/** One head's attention: row = the attending token, column = the token attended to. */
export function attentionChart(a: AttentionResponse, seg: SegmentLayout): SVGSVGElement {
  const T = a.tokens.length;
  const cell = Math.max(4, Math.min(14, Math.floor(640 / T)));
  const showLabels = cell >= 8;
  const labels = a.tokens.map((t) => clip(t, 14));
  const labelW = showLabels ? Math.max(...labels.map((l) => textWidth(l))) + 10 : 4;
  const width = labelW + T * cell + 4;
  const height = labelW + T * cell + 4;
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'chart attention-chart', role: 'img', 'aria-label': `attention of layer ${a.layer} head ${a.head}` });
  if (showLabels) {
    labels.forEach((l, t) => {
      const cls = `token ${tokenClass(t, seg)}`;
      svg.append(el('text', { x: labelW - 6, y: labelW + t * cell + cell - 3, 'text-anchor': 'end', class: cls }, l));
      const x = labelW + t * cell + cell - 3;
      svg.append(el('text', { x, y: labelW - 6, transform: `rotate(-90 ${x} ${labelW - 6})`, class: cls }, l));
    });
  }
  a.probs.forEach((row, q) => {
    row.forEach((p, k) => {
      svg.append(tip(el('rect', { x: labelW + k * cell, y: labelW + q * cell, width: cell, height: cell, fill: sequential(p), class: 'cell' }), `${a.tokens[q] ?? ''} → ${a.tokens[k] ?? ''}: ${p.toFixed(4)}`));
    });
  });
  return svg;
}
