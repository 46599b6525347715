/**
 * The explorer page: a query and passages (typed, or a collection query's first-stage candidates)
 * are scored and ranked; clicking a pair runs NIG and draws, per layer, the top neurons per token;
 * clicking a neuron masks it, and the ranking is recomputed with and without the mask. Every model
 * call is a job streamed from the server with its progress; Cancel closes them.
 */
import { ApiError, getJson, postJob } from './api.js';
import type { JobEvent } from './api.js';
import type { AttentionResponse, AttributeResponse, CandidatesResponse, InfoResponse, QueriesResponse, RerankResponse } from './api-types.js';
import { attentionChart, layerChart, segmentChart, signedBars } from './charts.js';
import { MaskState } from './mask.js';
import { clip, fmt, maxAbs } from './svg.js';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; text?: string; title?: string } = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class !== undefined) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.title !== undefined) e.title = props.title;
  e.append(...children);
  return e;
}

function showError(message: string | null): void {
  const box = $('error');
  box.hidden = message === null;
  box.textContent = message ?? '';
}

/** Model jobs in flight, one per kind: a new one of the same kind replaces (cancels) the old. */
class Jobs {
  readonly #running = new Map<string, AbortController>();

  async run<T>(kind: string, path: string, body: unknown): Promise<T | undefined> {
    this.#running.get(kind)?.abort();
    const ac = new AbortController();
    this.#running.set(kind, ac);
    this.#show(kind, { kind: 'progress', done: 0, total: 1, what: 'starting' });
    try {
      const out = await postJob<T>(path, body, ac.signal, (e) => this.#show(kind, e));
      showError(null);
      return out;
    } catch (e) {
      if (ac.signal.aborted) return undefined;
      showError(e instanceof ApiError || e instanceof Error ? `${kind}: ${e.message}` : `${kind}: ${String(e)}`);
      return undefined;
    } finally {
      if (this.#running.get(kind) === ac) this.#running.delete(kind);
      if (this.#running.size === 0) $('job').hidden = true;
    }
  }

  cancelAll(): void {
    for (const ac of this.#running.values()) ac.abort();
    this.#running.clear();
    $('job').hidden = true;
  }

  #show(kind: string, e: JobEvent): void {
    $('job').hidden = false;
    const bar = $<HTMLProgressElement>('job-progress');
    if (e.kind === 'queued') {
      $('job-what').textContent = `${kind}: waiting (${e.ahead} ahead)`;
      bar.removeAttribute('value');
    } else {
      $('job-what').textContent = `${kind}: ${e.what} ${e.done}/${e.total}`;
      bar.max = Math.max(1, e.total);
      bar.value = e.done;
    }
  }
}

interface PassageMeta {
  docid: string;
  grade: number | null;
  firstStageRank: number;
}

interface Current {
  query: string;
  passages: string[];
  meta: PassageMeta[] | null;
}

const jobs = new Jobs();
const mask = new MaskState();
let info: InfoResponse;
let current: Current | null = null;
let ranking: RerankResponse | null = null;
let selected: number | null = null;
let attribution: AttributeResponse | null = null;
let loaded: CandidatesResponse | null = null;

/** The passages of the textarea: one per line, blank lines dropped. */
function readPassages(): string[] {
  return $<HTMLTextAreaElement>('passages')
    .value.split('\n')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

async function scoreAndRank(): Promise<void> {
  const query = $<HTMLInputElement>('query').value.trim();
  const passages = readPassages();
  if (query === '' || passages.length === 0) {
    showError('give a query and at least one passage');
    return;
  }
  const fromCollection = loaded !== null && loaded.query === query && loaded.candidates.length === passages.length && loaded.candidates.every((c, i) => oneLine(c.text) === passages[i]);
  current = { query, passages, meta: fromCollection && loaded ? loaded.candidates.map((c) => ({ docid: c.docid, grade: c.grade, firstStageRank: c.firstStageRank })) : null };
  selected = null;
  attribution = null;
  $('pair-panel').hidden = true;
  await rerank();
}

async function rerank(): Promise<void> {
  if (!current) return;
  const r = await jobs.run<RerankResponse>('rerank', '/api/rerank', { query: current.query, passages: current.passages, mask: mask.toJson() });
  if (!r) return;
  ranking = r;
  renderResults();
  renderPairScore();
}

function renderResults(): void {
  if (!current || !ranking) return;
  const cur = current;
  $('results-panel').hidden = false;
  $('results').classList.toggle('hide-grades', cur.meta === null);
  const m = ranking.masked;
  $('results-note').textContent = m.neurons + m.heads > 0 ? `with ${m.neurons} neurons${m.heads ? ` and ${m.heads} heads` : ''} masked; Δ rank against the unmasked model` : `${info.relevance}`;
  const body = $('results').querySelector('tbody') as HTMLTableSectionElement;
  body.replaceChildren(
    ...ranking.ranking.map((r) => {
      const tr = h('tr');
      tr.dataset['index'] = String(r.index);
      if (r.index === selected) tr.classList.add('selected');
      const change = r.change === 0 ? h('span', { class: 'muted', text: '–' }) : h('span', { class: r.change > 0 ? 'up' : 'down', text: r.change > 0 ? `↑${r.change}` : `↓${-r.change}` });
      const meta = cur.meta?.[r.index];
      const grade = meta ? h('span', { class: `grade${(meta.grade ?? 0) > 0 ? ' rel' : ''}`, text: meta.grade === null ? '·' : String(meta.grade), title: `${meta.docid}, first stage #${meta.firstStageRank}` }) : '';
      const text = cur.passages[r.index] ?? '';
      tr.append(
        h('td', { class: 'num rank', text: String(r.rank) }),
        h('td', { class: 'num' }, change),
        h('td', { class: 'num score', text: fmt(r.score) }),
        h('td', { class: 'num muted', text: fmt(r.baselineScore) }),
        h('td', { class: 'grade-col' }, grade),
        h('td', { text: clip(text, 220), title: text }),
      );
      tr.addEventListener('click', () => void selectPair(r.index));
      return tr;
    }),
  );
}

function renderPairScore(): void {
  if (selected === null || !ranking || !current) return;
  const r = ranking.ranking.find((x) => x.index === selected);
  if (!r) return;
  const score = $('pair-score');
  score.textContent = fmt(r.score);
  score.dataset['score'] = String(r.score);
  const masked = ranking.masked.neurons + ranking.masked.heads > 0;
  $('pair-baseline').textContent = masked
    ? `unmasked ${fmt(r.baselineScore)} · Δ ${fmt(r.score - r.baselineScore)} · rank ${r.rank} (unmasked ${r.baselineRank})`
    : `rank ${r.rank} of ${ranking.ranking.length}`;
}

async function selectPair(index: number): Promise<void> {
  if (!current) return;
  selected = index;
  attribution = null;
  for (const tr of Array.from(document.querySelectorAll<HTMLTableRowElement>('#results tbody tr'))) tr.classList.toggle('selected', tr.dataset['index'] === String(index));
  $('pair-panel').hidden = false;
  $('pair-title').textContent = `passage ${index + 1}: ${clip(current.passages[index] ?? '', 90)}`;
  $('attribution').replaceChildren();
  $('attention').replaceChildren();
  renderPairScore();
  await Promise.all([attribute(), attention()]);
}

function numberInput(id: string, fallback: number): number {
  const v = Number($<HTMLInputElement>(id).value);
  return Number.isInteger(v) ? v : fallback;
}

async function attribute(): Promise<void> {
  if (!current || selected === null) return;
  const index = selected;
  const body = {
    query: current.query,
    passage: current.passages[index],
    steps: numberInput('nig-steps', info.attribution.steps),
    baseline: $<HTMLSelectElement>('nig-baseline').value,
    rule: $<HTMLSelectElement>('nig-rule').value,
    top: numberInput('nig-top', info.attribution.top),
  };
  const r = await jobs.run<AttributeResponse>('attribute', '/api/attribute', body);
  if (!r || selected !== index) return;
  attribution = r;
  renderAttribution();
}

async function attention(): Promise<void> {
  if (!current || selected === null) return;
  const index = selected;
  const body = { query: current.query, passage: current.passages[index], layer: Number($<HTMLSelectElement>('att-layer').value), head: Number($<HTMLSelectElement>('att-head').value), mask: mask.toJson() };
  const r = await jobs.run<AttentionResponse>('attention', '/api/attention', body);
  if (!r || selected !== index) return;
  const seg = attribution?.segments ?? layoutOf(r.tokens);
  $('attention').replaceChildren(h('p', { class: 'legend', text: `layer ${r.layer}, head ${r.head}: row = attending token, column = attended token (white 0 → purple 1)` }), attentionChart(r, seg));
}

/** [CLS] … [SEP] … [SEP] positions from the tokens alone (before any attribution has come back). */
function layoutOf(tokens: readonly string[]): AttributeResponse['segments'] {
  const sep1 = tokens.indexOf('[SEP]');
  const sep2 = tokens.length - 1;
  return { cls: 0, query: [1, Math.max(1, sep1)], sep1, passage: [sep1 + 1, sep2], sep2 };
}

function renderAttribution(): void {
  const a = attribution;
  if (!a) return;
  const change = a.targetInput - a.targetBaseline;
  const summary = h(
    'table',
    { class: 'completeness' },
    h('tr', {}, h('th', { text: 'F(x), the score' }), h('td', { class: 'num', text: fmt(a.targetInput) })),
    h('tr', {}, h('th', { text: `F(x′), baseline ${a.baseline}` }), h('td', { class: 'num', text: fmt(a.targetBaseline) })),
    h('tr', {}, h('th', { text: 'F(x) − F(x′)' }), h('td', { class: 'num', text: fmt(change) })),
    ...a.completeness.map((err, l) =>
      h('tr', {}, h('th', { text: `completeness error, layer ${l}`, title: `Σ NIG over layer.${l}.out − (F(x) − F(x′))` }), h('td', { class: 'num', text: `${fmt(err)} (${fmt(100 * (a.completenessRelative[l] ?? NaN), 2)}%)` })),
    ),
  );
  const totals = signedBars(
    a.layers.map((l) => `layer ${l.layer}`),
    a.layers.map((l) => l.total),
    maxAbs(a.layers.map((l) => l.total)),
    'totals-chart',
  );
  const segMax = maxAbs(a.layers.flatMap((l) => [l.segments.cls, l.segments.query, l.segments.sep, l.segments.passage]));
  const layers = a.layers.map((la) =>
    h(
      'div',
      { class: 'layer' },
      h('h3', { text: `Layer ${la.layer} · ${la.site} · top ${la.top.length} of ${la.width} neurons by |Σ over tokens|` }),
      layerChart(la, a.tokens, a.segments, { isMasked: (l, n) => mask.has(l, n), onToggle: (l, n) => mask.toggle(l, n) }),
      h('p', { class: 'legend', text: 'Σ of the layer’s neurons per part of the input' }),
      segmentChart(la.segments, segMax),
    ),
  );
  $('attribution').replaceChildren(
    h('p', { class: 'legend' }, `NIG, ${a.steps} points, ${a.rule} rule, baseline ${a.baseline}. `, h('span', { class: 'pos', text: 'red: raises the score' }), ', ', h('span', { class: 'neg', text: 'blue: lowers it' }), '. Click a neuron to mask it.'),
    h('div', { class: 'summary' }, summary, h('div', {}, h('p', { class: 'legend', text: 'Σ NIG over each layer’s FFN neurons' }), totals)),
    h('div', { class: 'layers' }, ...layers),
  );
}

function renderMask(): void {
  const n = mask.size;
  $('mask-count').textContent = n === 0 ? 'nothing masked' : `${n} unit${n === 1 ? '' : 's'} masked`;
  $('mask-list').replaceChildren(
    ...mask.list().map((u) => {
      const x = h('button', { text: '×', title: 'unmask' });
      x.type = 'button';
      x.addEventListener('click', () => mask.remove(u));
      const li = h('li', { text: `layer.${u.layer}.${u.unit} ${u.index}` }, x);
      li.dataset['layer'] = String(u.layer);
      li.dataset['index'] = String(u.index);
      return li;
    }),
  );
  $('mask-json').textContent = JSON.stringify(mask.toJson());
}

function saveMask(): void {
  const blob = new Blob([`${JSON.stringify(mask.toJson(), null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = h('a');
  a.href = url;
  a.download = 'mask.json';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function loadMask(input: HTMLInputElement): Promise<void> {
  const file = input.files?.[0];
  if (!file) return;
  try {
    mask.load(JSON.parse(await file.text()) as unknown);
    showError(null);
  } catch (e) {
    showError(`mask ${file.name}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    input.value = '';
  }
}

/** Passages are one per line in the textarea: a text's own line breaks become spaces. */
function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

async function loadCandidates(): Promise<void> {
  const qid = $<HTMLSelectElement>('collection-query').value;
  const k = numberInput('collection-k', 10);
  try {
    loaded = await getJson<CandidatesResponse>(`/api/candidates?qid=${encodeURIComponent(qid)}&k=${k}`);
  } catch (e) {
    showError(e instanceof Error ? e.message : String(e));
    return;
  }
  $<HTMLInputElement>('query').value = loaded.query;
  $<HTMLTextAreaElement>('passages').value = loaded.candidates.map((c) => oneLine(c.text)).join('\n');
  if (loaded.skipped > 0) showError(`${loaded.skipped} candidates have no text in the collection and were left out`);
  await scoreAndRank();
}

function selectTab(collection: boolean): void {
  $('tab-type').setAttribute('aria-selected', String(!collection));
  $('tab-collection').setAttribute('aria-selected', String(collection));
  $('collection-picker').hidden = !collection;
}

function fillSelect(id: string, values: readonly string[], chosen: string, label: (v: string) => string = (v) => v): void {
  $(id).replaceChildren(
    ...values.map((v) => {
      const o = h('option', { text: label(v) });
      o.value = v;
      o.selected = v === chosen;
      return o;
    }),
  );
}

async function init(): Promise<void> {
  info = await getJson<InfoResponse>('/api/info');
  const widths = [...new Set(info.intermediateSizes)].join('/');
  $('model-info').textContent = `${info.model} · ${info.numLayers} layers × ${widths} FFN neurons, ${info.numHeads} heads · score: ${info.relevance}`;
  fillSelect('nig-baseline', info.attribution.baselines, info.attribution.baseline);
  fillSelect('nig-rule', info.attribution.rules, info.attribution.rule);
  $<HTMLInputElement>('nig-steps').value = String(info.attribution.steps);
  $<HTMLInputElement>('nig-steps').max = String(info.limits.maxSteps);
  $<HTMLInputElement>('nig-top').value = String(info.attribution.top);
  $<HTMLInputElement>('nig-top').max = String(info.limits.maxTop);
  fillSelect('att-layer', Array.from({ length: info.numLayers }, (_v, l) => String(l)), '0');
  fillSelect('att-head', Array.from({ length: info.numHeads }, (_v, l) => String(l)), '0');

  $('score-btn').addEventListener('click', () => void scoreAndRank());
  $('query').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void scoreAndRank();
  });
  $('nig-run').addEventListener('click', () => void attribute());
  $('att-layer').addEventListener('change', () => void attention());
  $('att-head').addEventListener('change', () => void attention());
  $('job-cancel').addEventListener('click', () => jobs.cancelAll());
  $('mask-clear').addEventListener('click', () => mask.clear());
  $('mask-save').addEventListener('click', saveMask);
  $('mask-load').addEventListener('change', (e) => void loadMask(e.target as HTMLInputElement));
  $('tab-type').addEventListener('click', () => selectTab(false));
  $('tab-collection').addEventListener('click', () => selectTab(true));
  $('collection-load').addEventListener('click', () => void loadCandidates());
  mask.onChange(() => {
    renderMask();
    renderAttribution();
    void rerank();
    if (mask.list().some((u) => u.unit === 'attn.heads')) void attention();
  });
  renderMask();

  if (info.collection) {
    const q = await getJson<QueriesResponse>('/api/queries');
    fillSelect('collection-query', q.queries.map((x) => x.qid), q.queries[0]?.qid ?? '', (qid) => {
      const x = q.queries.find((y) => y.qid === qid);
      return x ? `${x.qid}: ${clip(x.text, 70)} (${x.candidates} candidates, ${x.judged} judged)` : qid;
    });
    $<HTMLButtonElement>('tab-collection').disabled = false;
    $('tab-collection').textContent = `Pick from ${info.collection.name}`;
  }
  document.body.dataset['ready'] = 'true';
}

init().catch((e: unknown) => showError(`could not start: ${e instanceof Error ? e.message : String(e)}`));
