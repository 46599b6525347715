/**
 * The explorer page in a real browser: Debian's headless Chromium driven by puppeteer-core
 * (puppeteer's own browser download cannot work here; .ci/run installs `chromium` when missing).
 * A user types a pair, scores it, opens its attribution, masks a neuron and sees the score
 * change; a long attribution shows progress and Cancel stops it on the server; a collection
 * query loads with its candidates. With CELENS_SCREENSHOTS=DIR the views are written there as
 * PNGs (`npm run screenshots` writes docs/explorer/).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { selectBackend } from '../../src/backend/select.js';
import { DEFAULT_MODEL_DIR } from '../../src/defaults.js';
import { loadCollection } from '../../src/ir/detect.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { readMasks } from '../../src/model/masks.js';
import type { LoadedModel } from '../../src/model/load.js';
import { Explorer } from '../../src/serve/explorer.js';
import type { StatusResponse } from '../../src/serve/page/api-types.js';
import { startServer } from '../../src/serve/server.js';
import type { RunningServer } from '../../src/serve/server.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import { SHARED } from '../helpers/fixture.js';

const CHROMIUM = process.env['CELENS_CHROMIUM'] ?? '/usr/bin/chromium';
const SHOTS = process.env['CELENS_SCREENSHOTS'];
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) process.stderr.write(`celens: skipping the browser test: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CELENS_CHROMIUM)\n`);

const QUERY = 'what causes the tides';
const PASSAGES = [
  'Tides are caused by the gravitational pull of the moon and the sun on the oceans, together with the rotation of the earth.',
  'Tidal pools are home to starfish, anemones and small crabs that can survive when the water goes out.',
  'The stock market closed higher on Friday after a week of losses, led by gains in technology shares.',
];
const LONG_PASSAGE = Array.from({ length: 12 }, () => 'the moon and the sun pull the oceans of the earth').join(' ');

/**
 * What the callbacks below touch in the page. They run in Chromium, but this file is type-checked
 * with Node's libraries only (tsconfig.json has no DOM), so the few members they use are declared
 * here; the declarations emit nothing and the callbacks see the browser's own globals.
 */
interface PageElement {
  textContent: string | null;
  value: string;
  hidden: boolean;
  dataset: Record<string, string | undefined>;
  classList: { contains(name: string): boolean };
  style: { position: string };
  children: ArrayLike<PageElement>;
  firstChild: PageElement | null;
  querySelector(selector: string): PageElement | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { bottom: number };
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};
declare const window: { scrollTo(x: number, y: number): void };

(HAVE_CHROMIUM ? describe : describe.skip)(`the explorer page in headless Chromium (${CHROMIUM})`, () => {
  let model: LoadedModel;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const problems: string[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'celens-serve-browser-'));
    await selectBackend('wasm');
    model = await loadModel(DEFAULT_MODEL_DIR);
    const tokenizer = await loadTokenizer(DEFAULT_MODEL_DIR, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
    const collection = await loadCollection(join(SHARED, 'data/trec-dl-2019-passage'));
    // The built page (npm run build): what `celens serve` serves.
    server = await startServer({ explorer: new Explorer(model, tokenizer, 'celens-ce-tiny (embedded)'), collection, port: 0 });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions'],
    });
    page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('requestfailed', (r) => {
      // Cancelled jobs abort their fetch on purpose.
      if (!r.url().includes('/api/')) problems.push(`request failed: ${r.url()}`);
    });
    // Nothing may come from the network: every request goes to the server itself.
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) problems.push(`request outside the server: ${r.url()}`);
    });
    await page.setViewport({ width: 1280, height: 900 });
    if (SHOTS) await mkdir(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (model) disposeModel(model);
    await rm(tmp, { recursive: true, force: true });
  });

  /** The viewport, or one element of the page (with the sticky header and mask panel pinned, so they do not cover it). */
  async function shot(name: string, selector?: string): Promise<void> {
    if (!SHOTS) return;
    const path = join(SHOTS, `${name}.png`) as `${string}.png`;
    await page.evaluate(() => window.scrollTo(0, 0));
    if (selector === undefined) {
      const bottom = await page.evaluate(() => document.querySelector('main')?.getBoundingClientRect().bottom ?? 900);
      await page.screenshot({ path, clip: { x: 0, y: 0, width: 1280, height: Math.min(900, Math.ceil(bottom)) } });
      return;
    }
    const pin = (position: string): Promise<void> =>
      page.evaluate((p) => {
        for (const e of document.querySelectorAll('header, #mask-panel')) e.style.position = p;
      }, position);
    await pin('static');
    await page.mouse.move(0, 0);
    await (await page.$(selector))?.screenshot({ path });
    await pin('');
  }

  const score = (): Promise<string> => page.$eval('#pair-score', (e: PageElement) => e.dataset['score'] ?? '');

  test('type a pair, score it, open its attribution, mask a neuron: the score changes', async () => {
    await page.goto(server.url);
    await page.waitForSelector('body[data-ready=true]');
    expect(await page.$eval('#model-info', (e: PageElement) => e.textContent)).toContain('celens-ce-tiny');
    await page.$eval('#query', (e: PageElement) => (e.value = ''));
    await page.type('#query', QUERY);
    await page.$eval('#passages', (e: PageElement) => (e.value = ''));
    await page.type('#passages', PASSAGES.join('\n'));
    await page.click('#score-btn');
    await page.waitForFunction((n) => document.querySelectorAll('#results tbody tr').length === n, {}, PASSAGES.length);
    const ranks = await page.$$eval('#results tbody tr', (rows: PageElement[]) => rows.map((r) => Number(r.querySelector('.rank')?.textContent)));
    expect(ranks).toEqual([1, 2, 3]);
    await shot('ranking');

    // The pair of passage 0: its row, then its attribution and attention.
    await page.click('#results tbody tr[data-index="0"]');
    await page.waitForSelector('.layer-chart .neuron[data-layer="0"]');
    await page.waitForSelector('.attention-chart');
    expect(await page.$$eval('.layer-chart', (c: PageElement[]) => c.length)).toBe(2);
    expect(await page.$eval('#attribution', (e: PageElement) => e.textContent)).toMatch(/completeness error, layer 0/);
    const before = await score();
    expect(Number.isFinite(Number(before))).toBe(true);

    // Attention of another head, chosen from its select.
    await page.select('#att-head', '1');
    await page.waitForFunction(() => document.querySelector('#attention .legend')?.textContent?.includes('head 1'));
    await shot('attribution', '#pair-panel');

    // Mask layer 0's first top neuron by clicking its column.
    const neuron = await page.$eval('.layer-chart .neuron[data-layer="0"]', (e: PageElement) => e.dataset['neuron'] ?? '');
    await page.click(`.layer-chart .neuron[data-layer="0"][data-neuron="${neuron}"] .bar`);
    await page.waitForFunction((b) => document.querySelector('#pair-score')?.dataset['score'] !== b, {}, before);
    const after = await score();
    expect(Number(after)).not.toBe(Number(before));
    expect(JSON.parse((await page.$eval('#mask-json', (e: PageElement) => e.textContent)) ?? '{}')).toEqual({ 'layer.0.ffn': [Number(neuron)] });
    expect(await page.$eval(`.layer-chart .neuron[data-neuron="${neuron}"]`, (e: PageElement) => e.classList.contains('masked'))).toBe(true);
    expect(await page.$eval('#results-note', (e: PageElement) => e.textContent)).toMatch(/with 1 neurons masked/);

    // More of layer 0's top neurons, as a user exploring would; then the ranking with rank changes.
    // Only those with a visible bar: on the embedded model each layer-0 neuron detects one token, so
    // on a given pair most of them have next to no attribution, and masking one whose token is
    // absent leaves the score as it was.
    const more = await page.$$eval('.layer-chart .neuron[data-layer="0"]', (gs: PageElement[]) =>
      gs.slice(1).filter((g: PageElement) => Number(g.querySelector('.bar')?.getAttribute('height')) >= 1).slice(0, 5).map((g: PageElement) => g.dataset['neuron'] ?? ''));
    expect(more.length).toBeGreaterThanOrEqual(2);
    for (const n of more) {
      const was = await score();
      await page.click(`.layer-chart .neuron[data-layer="0"][data-neuron="${n}"] .bar`);
      await page.waitForFunction((b) => document.querySelector('#pair-score')?.dataset['score'] !== b, {}, was);
    }
    expect(await page.$$eval('#mask-list li', (li: PageElement[]) => li.length)).toBe(1 + more.length);

    // Save mask JSON downloads the file `--mask` reads.
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: tmp });
    await page.click('#mask-save');
    const saved = join(tmp, 'mask.json');
    const end = Date.now() + 10000;
    while (!existsSync(saved) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const masks = await readMasks(saved, model.config);
    expect(masks[0]?.ffn).toEqual([neuron, ...more].map(Number).sort((a, b) => a - b));
    expect(masks[1]).toEqual({ ffn: [], heads: [] });
    await rm(saved);

    // Clicking a masked neuron again switches it back on; Clear empties the mask.
    await page.click('#mask-clear');
    await page.waitForFunction((b) => document.querySelector('#pair-score')?.dataset['score'] === b, {}, before);
    expect(await page.$eval('#mask-json', (e: PageElement) => e.textContent)).toBe('{}');
  });

  test('a long attribution shows its progress, and Cancel stops it on the server', async () => {
    const cancelledBefore = ((await (await fetch(new URL('/api/status', server.url))).json()) as StatusResponse).cancelled;
    await page.$eval('#passages', (e: PageElement, p: string) => (e.value = p), LONG_PASSAGE);
    await page.click('#score-btn');
    await page.waitForFunction(() => document.querySelectorAll('#results tbody tr').length === 1);
    await page.$eval('#nig-steps', (e: PageElement) => (e.value = '1000'));
    await page.click('#results tbody tr[data-index="0"]');
    await page.waitForFunction(() => /attribute: NIG path points \d+\/1000/.test(document.querySelector('#job-what')?.textContent ?? ''));
    expect(await page.$eval('#job', (e: PageElement) => e.hidden)).toBe(false);
    await shot('progress', 'header');
    await page.click('#job-cancel');
    await page.waitForFunction(() => document.querySelector('#job')?.hidden === true);
    const end = Date.now() + 20000;
    let status: StatusResponse;
    do {
      status = (await (await fetch(new URL('/api/status', server.url))).json()) as StatusResponse;
      if (status.cancelled > cancelledBefore && status.running === null) break;
      await new Promise((r) => setTimeout(r, 50));
    } while (Date.now() < end);
    expect(status.cancelled).toBeGreaterThan(cancelledBefore);
    expect(status.running).toBeNull();
    await page.$eval('#nig-steps', (e: PageElement) => (e.value = '50'));
  });

  test('a collection query loads with its first-stage candidates and their grades', async () => {
    await page.click('#tab-collection');
    await page.waitForSelector('#collection-picker:not([hidden])');
    const options = await page.$$eval('#collection-query option', (o: PageElement[]) => o.length);
    expect(options).toBe(43);
    await page.$eval('#collection-k', (e: PageElement) => (e.value = '8'));
    await page.click('#collection-load');
    await page.waitForFunction(() => document.querySelectorAll('#results tbody tr').length === 8);
    const grades = await page.$$eval('#results tbody .grade', (g: PageElement[]) => g.map((x) => x.textContent));
    expect(grades).toHaveLength(8);
    await shot('collection');

    // Mask the top neurons of the last layer for the best candidate: the ranking shows the moves.
    await page.click('#results tbody tr:first-child');
    await page.waitForSelector('.layer-chart .neuron[data-layer="1"]');
    const top = await page.$$eval('.layer-chart .neuron[data-layer="1"]', (gs: PageElement[]) => gs.slice(0, 3).map((g: PageElement) => g.dataset['neuron'] ?? ''));
    for (const n of top) {
      const was = await score();
      await page.click(`.layer-chart .neuron[data-layer="1"][data-neuron="${n}"] .bar`);
      await page.waitForFunction((b) => document.querySelector('#pair-score')?.dataset['score'] !== b, {}, was);
    }
    // Add an attention head through a mask file, as `celens neurons --out` or a saved mask would be loaded.
    const file = join(tmp, 'mask.json');
    const clicked = JSON.parse((await page.$eval('#mask-json', (e: PageElement) => e.textContent)) ?? '{}') as Record<string, number[]>;
    expect(clicked).toEqual({ 'layer.1.ffn': [...top].map(Number).sort((a, b) => a - b) });
    await writeFile(file, JSON.stringify({ ...clicked, 'layer.1.attn.heads': [0] }));
    await ((await page.$('#mask-load')) as ElementHandle).uploadFile(file);
    await page.waitForFunction(() => /with 3 neurons and 1 heads masked/.test(document.querySelector('#results-note')?.textContent ?? ''));
    expect(await page.$$eval('#mask-list li', (li: PageElement[]) => li.map((x) => x.firstChild?.textContent))).toEqual(['layer.1.attn.heads 0', ...[...top].map(Number).sort((a, b) => a - b).map((n) => `layer.1.ffn ${n}`)]);
    const rows = await page.$$eval('#results tbody tr', (trs: PageElement[]) => trs.map((tr) => Number(tr.querySelector('.rank')?.textContent)));
    expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await shot('masked');
    await page.click('#mask-clear');
  });

  test('nothing went wrong in the page, and nothing was fetched from outside the server', () => {
    expect(problems).toEqual([]);
  });
});
