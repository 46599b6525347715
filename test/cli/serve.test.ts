/**
 * `celens serve`: the JSON API answered over real HTTP (fetch, and raw requests where fetch would
 * normalise the path). Scores equal the library's and `celens score --activation none`'s for the
 * same pairs; NIG answers carry completeness and equal the library's attribute(); a mask changes
 * the score as the library's masked scoring does; bad requests get JSON errors (400, 405, 413,
 * 415, 403/404 for paths outside the page folder) and the server keeps answering; a client that
 * disconnects cancels its job; a full queue refuses with 503.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/backend/tf.js';
import { attribute } from '../../src/attribution/attribute.js';
import { selectBackend } from '../../src/backend/select.js';
import { DEFAULT_MODEL_DIR } from '../../src/defaults.js';
import { loadCollection } from '../../src/ir/detect.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import type { LoadedModel } from '../../src/model/load.js';
import { parseMasks } from '../../src/model/masks.js';
import { scoreEncoded } from '../../src/model/score.js';
import { Explorer } from '../../src/serve/explorer.js';
import type { AttentionResponse, AttributeResponse, CandidatesResponse, InfoResponse, QueriesResponse, RerankResponse, ScoreResponse, StatusResponse } from '../../src/serve/page/api-types.js';
import { startServer } from '../../src/serve/server.js';
import type { RunningServer } from '../../src/serve/server.js';
import { loadTokenizer } from '../../src/tokenize/tokenizer.js';
import type { PairTokenizer } from '../../src/tokenize/tokenizer.js';
import { runCli } from '../helpers/cli.js';
import { SHARED } from '../helpers/fixture.js';

/** The embedded model's FFN width (layer 0), from its config.json: the first index a mask may not name. */
const FFN = (JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'config.json'), 'utf8')) as { intermediate_size: number }).intermediate_size;

const QUERY = 'what causes the tides';
const PASSAGES = [
  'Tides are caused by the gravitational pull of the moon and the sun on the oceans, together with the rotation of the earth.',
  'Tidal pools are home to starfish, anemones and small crabs that can survive when the water goes out.',
  'The stock market closed higher on Friday after a week of losses, led by gains in technology shares.',
  "The moon's gravity pulls the ocean toward it.",
];
const LONG_PASSAGE = Array.from({ length: 12 }, () => 'the moon and the sun pull the oceans of the earth').join(' ');

let model: LoadedModel;
let tokenizer: PairTokenizer;
let explorer: Explorer;
let server: RunningServer;
let dir: string;
let page: string;

beforeAll(async () => {
  await selectBackend('wasm');
  model = await loadModel(DEFAULT_MODEL_DIR);
  tokenizer = await loadTokenizer(DEFAULT_MODEL_DIR, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
  explorer = new Explorer(model, tokenizer, 'celens-ce-tiny');
  // A page folder of our own, with a secret beside it that no path may reach.
  dir = await mkdtemp(join(tmpdir(), 'celens-serve-'));
  page = join(dir, 'page');
  await mkdir(join(page, 'sub'), { recursive: true });
  await writeFile(join(page, 'index.html'), '<!doctype html><title>page</title>');
  await writeFile(join(page, 'style.css'), 'body { margin: 0 }');
  await writeFile(join(page, 'app.js'), 'export {};');
  await writeFile(join(page, 'sub', 'x.js'), 'export const x = 1;');
  await writeFile(join(dir, 'secret.txt'), 'SECRET');
  await writeFile(join(dir, 'secret.js'), 'SECRET');
  await symlink(join(dir, 'secret.js'), join(page, 'link.js'));
  server = await startServer({ explorer, port: 0, pageDir: page });
});

afterAll(async () => {
  await server?.close();
  if (model) disposeModel(model);
  await rm(dir, { recursive: true, force: true });
});

const url = (path: string, s: RunningServer = server): string => new URL(path, s.url).toString();

async function post<T>(path: string, body: unknown, s: RunningServer = server, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url(path, s), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body), ...init });
  return { status: res.status, body: (await res.json()) as T };
}

/** A request with the path exactly as written (fetch would resolve `..` before sending). */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function libraryLogits(query: string, passages: readonly string[], mask?: unknown): Promise<number[]> {
  const encs = await tokenizer.encodePairs(passages.map((p) => [query, p] as const));
  const rows = await scoreEncoded(model, encs, { activation: 'none', ...(mask !== undefined && { masks: parseMasks(mask, model.config) }) });
  return rows.map((r) => r[0] as number);
}

async function status(s: RunningServer = server): Promise<StatusResponse> {
  return (await (await fetch(url('/api/status', s))).json()) as StatusResponse;
}

async function until(cond: () => Promise<boolean>, what: string, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('info: the model, its relevance rule, the NIG defaults and the limits', async () => {
  const info = (await (await fetch(url('/api/info'))).json()) as InfoResponse;
  const c = model.config;
  expect(info).toMatchObject({ numLayers: c.numLayers, numHeads: c.numHeads, intermediateSizes: c.intermediateSizes, numLabels: 1, maxLength: 128, collection: null });
  expect(c.numLayers).toBe(2); // what the embedded model is (config.json), so that the match above says something
  expect(info.attribution).toMatchObject({ site: 'ffn.pre', steps: 50, baseline: 'padq', rule: 'trapezoid' });
  expect(info.limits.maxPassages).toBeGreaterThan(0);
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
});

test('score: raw logits equal the library\'s and `celens score --activation none`\'s for the same pairs', async () => {
  const r = await post<ScoreResponse>('/api/score', { query: QUERY, passages: PASSAGES });
  expect(r.status).toBe(200);
  expect(r.body.scores).toEqual(await libraryLogits(QUERY, PASSAGES));
  expect(r.body.logits).toEqual(r.body.scores.map((s) => [s]));
  // This model's config names Identity: its relevance score is the logit.
  expect(r.body.relevance).toEqual(r.body.scores);
  const cli = await runCli(['score', DEFAULT_MODEL_DIR, '--backend', 'wasm', '--workers', '1', '--activation', 'none', '--query', QUERY, ...PASSAGES.flatMap((p) => ['--passage', p])]);
  expect(cli.code).toBe(0);
  expect(cli.stdout.trim().split('\n').map(Number)).toEqual(r.body.scores);
});

test('rerank: ranks best first; a mask changes the scores exactly as the library scores the masked model', async () => {
  const plain = await post<RerankResponse>('/api/rerank', { query: QUERY, passages: PASSAGES });
  expect(plain.status).toBe(200);
  const logits = await libraryLogits(QUERY, PASSAGES);
  expect(plain.body.scores).toEqual(logits);
  expect(plain.body.baseline.scores).toEqual(logits);
  const order = logits.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map(([, i]) => i);
  expect(plain.body.ranking.map((r) => r.index)).toEqual(order);
  expect(plain.body.ranking.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
  expect(plain.body.ranking.every((r) => r.change === 0)).toBe(true);
  expect(plain.body.masked).toEqual({ neurons: 0, heads: 0 });

  // Mask the neurons NIG credits most on the first pair.
  const a = await post<AttributeResponse>('/api/attribute', { query: QUERY, passage: PASSAGES[0], top: 8 });
  const mask = { 'layer.0.ffn': a.body.layers[0]?.top.slice(0, 8) ?? [] };
  const masked = await post<RerankResponse>('/api/rerank', { query: QUERY, passages: PASSAGES, mask });
  expect(masked.status).toBe(200);
  expect(masked.body.masked).toEqual({ neurons: 8, heads: 0 });
  expect(masked.body.baseline.scores).toEqual(logits);
  expect(masked.body.scores).toEqual(await libraryLogits(QUERY, PASSAGES, mask));
  expect(masked.body.scores[0]).not.toBe(logits[0]);
  for (const r of masked.body.ranking) expect(r.change).toBe(r.baselineRank - r.rank);
  const scored = await post<ScoreResponse>('/api/score', { query: QUERY, passages: PASSAGES, mask });
  expect(scored.body.scores).toEqual(masked.body.scores);
});

test('attribute: NIG of the pair equals the library\'s, with completeness per layer, per-token values of the top neurons and segment sums', async () => {
  const r = await post<AttributeResponse>('/api/attribute', { query: QUERY, passage: PASSAGES[0], steps: 30, rule: 'trapezoid', baseline: 'padq', top: 5 });
  expect(r.status).toBe(200);
  const a = r.body;
  const [enc] = await tokenizer.encodePairs([[QUERY, PASSAGES[0] as string]]);
  const [lib] = await attribute(model, [enc as NonNullable<typeof enc>], { sites: ['ffn.pre'], steps: 30, rule: 'trapezoid', baseline: 'padq', unkId: tokenizer.unkId });
  if (!lib || !enc) throw new Error('no library result');
  expect(a.tokens).toHaveLength(enc.inputIds.length);
  expect(a.tokens[0]).toBe('[CLS]');
  expect(a.tokens[a.segments.sep1]).toBe('[SEP]');
  expect(a.tokens[a.tokens.length - 1]).toBe('[SEP]');
  expect(a.targetInput).toBe(lib.targetInput);
  expect(a.targetBaseline).toBe(lib.targetBaseline);
  expect(a.targetInput).toBe((await libraryLogits(QUERY, [PASSAGES[0] as string]))[0]);
  expect(a.completeness).toHaveLength(2);
  expect(a.completeness).toEqual(Array.from(lib.completeness));
  for (const rel of a.completenessRelative) expect(Math.abs(rel)).toBeLessThan(0.05);
  for (const la of a.layers) {
    const sum = lib.sum.get(`layer.${la.layer}.ffn.pre`) as Float32Array;
    expect(la.top).toHaveLength(5);
    expect(la.topSums).toEqual(la.top.map((j) => sum[j]));
    // The top 5 by |Σ|, shown from most positive to most negative.
    const fifth = Math.abs(la.topSums.map(Math.abs).sort((x, y) => y - x)[4] as number);
    expect(Array.from(sum).filter((v) => Math.abs(v) > fifth).length).toBeLessThanOrEqual(4);
    expect([...la.topSums].sort((x, y) => y - x)).toEqual(la.topSums);
    expect(la.perToken).toHaveLength(a.tokens.length);
    la.top.forEach((_j, c) => {
      const byTokens = la.perToken.reduce((s, row) => s + (row[c] as number), 0);
      expect(byTokens).toBeCloseTo(la.topSums[c] as number, 4);
      const s = la.topSegments[c];
      expect((s?.cls ?? 0) + (s?.query ?? 0) + (s?.sep ?? 0) + (s?.passage ?? 0)).toBeCloseTo(la.topSums[c] as number, 4);
    });
    expect(la.segments.cls + la.segments.query + la.segments.sep + la.segments.passage).toBeCloseTo(la.total, 6);
  }
});

test('attention: one head\'s probabilities, each row a distribution over the tokens', async () => {
  const r = await post<AttentionResponse>('/api/attention', { query: QUERY, passage: PASSAGES[3], layer: 1, head: 1 });
  expect(r.status).toBe(200);
  const T = r.body.tokens.length;
  expect(r.body.probs).toHaveLength(T);
  for (const row of r.body.probs) {
    expect(row).toHaveLength(T);
    expect(row.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 5);
  }
  const headMasked = await post<AttentionResponse>('/api/attention', { query: QUERY, passage: PASSAGES[3], layer: 1, head: 1, mask: { 'layer.1.attn.heads': [1] } });
  expect(headMasked.body.probs.flat().every((p) => p === 0)).toBe(true);
});

test('streamed jobs (Accept: application/x-ndjson) send progress lines, then the result', async () => {
  const res = await fetch(url('/api/attribute'), { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' }, body: JSON.stringify({ query: QUERY, passage: PASSAGES[1], steps: 40 }) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/x-ndjson');
  const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const progress = lines.filter((l) => 'progress' in l).map((l) => l['progress'] as { done: number; total: number });
  expect(progress.length).toBeGreaterThan(0);
  expect(progress[progress.length - 1]).toMatchObject({ done: 40, total: 40 });
  expect(lines[lines.length - 1]).toHaveProperty('result.completeness');
  // A request the server refuses is still a plain JSON 400 before any line.
  const bad = await fetch(url('/api/attribute'), { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' }, body: '{"query": 1}' });
  expect(bad.status).toBe(400);
  expect(await bad.json()).toEqual({ error: '"query" must be a string' });
});

describe('bad requests get JSON errors and the server keeps serving', () => {
  const cases: Array<[string, string, unknown, number, RegExp]> = [
    ['malformed JSON', '/api/score', '{"query": "q", "passages": [', 400, /not valid JSON/],
    ['an empty body', '/api/score', '', 400, /empty/],
    ['not an object', '/api/score', '[1, 2]', 400, /JSON object/],
    ['a missing field', '/api/score', { passages: ['p'] }, 400, /"query" must be a string/],
    ['an unknown field', '/api/score', { query: 'q', passages: ['p'], extra: 1 }, 400, /unknown field "extra"/],
    ['passages not strings', '/api/rerank', { query: 'q', passages: ['p', 3] }, 400, /passages\[1\] must be a string/],
    ['no passages', '/api/rerank', { query: 'q', passages: [] }, 400, /at least one passage/],
    ['too many pairs', '/api/score', { query: 'q', passages: Array.from({ length: 201 }, () => 'p') }, 400, /too many passages: 201, this server takes at most 200/],
    ['a mask index out of range', '/api/rerank', { query: 'q', passages: ['p'], mask: { 'layer.0.ffn': [FFN] } }, 400, new RegExp(`out of range 0…${FFN - 1}\\b`)],
    ['a mask layer the model lacks', '/api/rerank', { query: 'q', passages: ['p'], mask: { 'layer.7.ffn': [1] } }, 400, /layer/],
    ['steps out of range', '/api/attribute', { query: 'q', passage: 'p', steps: 1 }, 400, /"steps" must be an integer from 2 to 1000/],
    ['an unknown baseline', '/api/attribute', { query: 'q', passage: 'p', baseline: 'nope' }, 400, /"baseline" must be one of padq/],
    ['a head the model lacks', '/api/attention', { query: 'q', passage: 'p', layer: 0, head: 2 }, 400, /"head" must be an integer from 0 to 1/],
    ['an unknown endpoint', '/api/nope', {}, 404, /no API endpoint/],
  ];
  test.each(cases)('%s', async (_name, path, body, code, message) => {
    const r = await post<{ error: string }>(path, body);
    expect(r.status).toBe(code);
    expect(r.body.error).toMatch(message);
  });

  test('a body over the limit is a 413, read to its end so the client gets the answer', async () => {
    const small = await startServer({ explorer, port: 0, pageDir: page, limits: { maxBodyBytes: 10_000 } });
    try {
      const big = { query: 'q', passages: [Array.from({ length: 5000 }, () => 'word').join(' ')] };
      const r = await post<{ error: string }>('/api/score', big, small);
      expect(r.status).toBe(413);
      expect(r.body.error).toBe('the request body is over 10000 bytes');
      // Far over the limit (declared): refused before it is read.
      const huge = await fetch(url('/api/score', small), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: 'x'.repeat(200_000) }).then(
        (res) => res.status,
        () => 'connection closed',
      );
      expect([413, 'connection closed']).toContain(huge);
      const ok = await post<ScoreResponse>('/api/score', { query: QUERY, passages: ['p'] }, small);
      expect(ok.status).toBe(200);
    } finally {
      await small.close();
    }
  });

  test('a POST that is not application/json (a cross-site form) is a 415; a foreign Origin or Host a 403', async () => {
    const form = await fetch(url('/api/score'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ query: 'q', passages: ['p'] }) });
    expect(form.status).toBe(415);
    expect(((await form.json()) as { error: string }).error).toMatch(/application\/json/);
    const cross = await post<{ error: string }>('/api/score', { query: 'q', passages: ['p'] }, server, { headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' } });
    expect(cross.status).toBe(403);
    const rebound = await raw('/api/info', { Host: 'evil.example' });
    expect(rebound.status).toBe(403);
  });

  test('GET on a POST endpoint is a 405', async () => {
    const r = await fetch(url('/api/score'));
    expect(r.status).toBe(405);
    expect(await r.json()).toEqual({ error: 'method not allowed here (use POST)' });
  });

  test('static files come from the page folder only: no path reaches outside it', async () => {
    const index = await fetch(url('/'));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await index.text()).toContain('<title>page</title>');
    expect((await raw('/sub/x.js')).body).toBe('export const x = 1;');
    expect((await raw('/style.css?v=1')).status).toBe(200);
    const attempts = ['/../secret.txt', '/../secret.js', '/%2e%2e/secret.js', '/%2e%2e%2fsecret.js', '/..%2fsecret.js', '/sub/../../secret.js', '/sub/%2e%2e/%2e%2e/secret.js', '/..%5csecret.js', '/%2fetc%2fpasswd', '//etc/passwd', '/link.js', '/secret.js', '/nope.js', '/index.html%00.js', '/%E0%A4%A'];
    for (const p of attempts) {
      const r = await raw(p);
      expect([400, 403, 404]).toContain(r.status);
      expect(r.body).not.toContain('SECRET');
      expect(() => JSON.parse(r.body) as unknown).not.toThrow();
    }
    expect((await raw('/../secret.js')).status).toBe(403);
    expect((await raw('/link.js')).status).toBe(403);
    expect((await raw('/nope.js')).status).toBe(404);
  });

  test('after every bad request above, the server still scores', async () => {
    const r = await post<ScoreResponse>('/api/score', { query: QUERY, passages: PASSAGES.slice(0, 2) });
    expect(r.status).toBe(200);
    expect(r.body.scores).toEqual(await libraryLogits(QUERY, PASSAGES.slice(0, 2)));
  });
});

describe('one job at a time', () => {
  test('a client that disconnects cancels its job, which stops before its end, leaving no tensor behind; the next job runs', async () => {
    const before = await status();
    const tensors = tf.memory().numTensors;
    const ac = new AbortController();
    const long = fetch(url('/api/attribute'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: QUERY, passage: LONG_PASSAGE, steps: 1000 }), signal: ac.signal }).catch((e: unknown) => e);
    await until(async () => (await status()).running === 'attribute', 'the attribution to start');
    ac.abort();
    expect(await long).toHaveProperty('name', 'AbortError');
    await until(async () => (await status()).cancelled > before.cancelled, 'the job to be cancelled');
    const after = await status();
    expect(after.running).toBeNull();
    expect(after.done).toBe(before.done);
    expect(tf.memory().numTensors).toBe(tensors);
    const r = await post<ScoreResponse>('/api/score', { query: QUERY, passages: PASSAGES });
    expect(r.status).toBe(200);
  });

  test('jobs queue behind the running one; a full queue answers 503; a queued client that leaves is dropped', async () => {
    const q = await startServer({ explorer, port: 0, pageDir: page, limits: { maxQueue: 1 } });
    try {
      const ac = new AbortController();
      const long = fetch(url('/api/attribute', q), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: QUERY, passage: LONG_PASSAGE, steps: 1000 }), signal: ac.signal }).catch((e: unknown) => e);
      await until(async () => (await status(q)).running === 'attribute', 'the attribution to start');
      const waiting = post<ScoreResponse>('/api/score', { query: QUERY, passages: PASSAGES }, q);
      await until(async () => (await status(q)).queued === 1, 'the score to queue');
      const full = await post<{ error: string }>('/api/score', { query: QUERY, passages: PASSAGES }, q);
      expect(full.status).toBe(503);
      expect(full.body.error).toMatch(/busy/);
      // A queued client that leaves frees its place.
      ac.abort();
      await long;
      const queued = await waiting;
      expect(queued.status).toBe(200);
      expect(queued.body.scores).toEqual(await libraryLogits(QUERY, PASSAGES));
      const s = await status(q);
      expect(s).toMatchObject({ running: null, queued: 0, cancelled: 1, done: 1 });
    } finally {
      await q.close();
    }
  });
});

test('a collection: its queries with first-stage candidates, and a query\'s top k with texts and grades', async () => {
  const c = await loadCollection(join(SHARED, 'data/trec-dl-2019-passage'));
  const s = await startServer({ explorer, collection: c, port: 0, pageDir: page });
  try {
    const q = (await (await fetch(url('/api/queries', s))).json()) as QueriesResponse;
    expect(q.queries.length).toBe(43);
    const first = q.queries[0];
    if (!first) throw new Error('no query');
    const r = (await (await fetch(url(`/api/candidates?qid=${first.qid}&k=5`, s))).json()) as CandidatesResponse;
    expect(r.query).toBe(first.text);
    expect(r.candidates.map((x) => x.firstStageRank)).toEqual([1, 2, 3, 4, 5]);
    expect(r.candidates.every((x) => x.text.length > 0)).toBe(true);
    expect(r.candidates.some((x) => x.grade !== null)).toBe(true);
    expect((await fetch(url('/api/candidates?qid=nope', s))).status).toBe(404);
    expect((await fetch(url(`/api/candidates?qid=${first.qid}&k=0`, s))).status).toBe(400);
    expect((await fetch(url('/api/queries'))).status).toBe(404);
  } finally {
    await s.close();
  }
});

test('celens serve prints its URL, answers, and stops on SIGTERM, cancelling the job it runs', async () => {
  const child = spawn(process.execPath, ['dist/cli/bin.js', 'serve', '--port', '0', '--backend', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    const served = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1] as string);
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const info = (await (await fetch(new URL('/api/info', served))).json()) as InfoResponse;
    expect(info.model).toBe('celens-ce-tiny (embedded)');
    const r = (await (await fetch(new URL('/api/score', served), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: QUERY, passages: PASSAGES }) })).json()) as ScoreResponse;
    expect(r.scores).toEqual(await libraryLogits(QUERY, PASSAGES));
    const long = fetch(new URL('/api/attribute', served), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: QUERY, passage: LONG_PASSAGE, steps: 1000 }) }).catch((e: unknown) => e);
    const started = Date.now();
    await until(async () => ((await (await fetch(new URL('/api/status', served))).json()) as StatusResponse).running === 'attribute', 'the attribution to start');
    const code = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
    expect(String(await long)).toMatch(/fetch failed/);
    expect(Date.now() - started).toBeLessThan(20000);
    expect(stderr).not.toContain('internal error');
    expect(stderr).toContain('server stopped');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
