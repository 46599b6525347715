/**
 * examples/obvious-triples.tsv (written for this project): query, a relevant passage, and an
 * unrelated passage that shares a surface word with the query (flu / chimney flue). A ranker must
 * put the relevant one first; issue 13 asks for 28 of 30 or better. The first test checks the file
 * itself, the second that the embedded model beats chance on it (its count is in the model card).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const STOP = new Set(['the', 'and', 'how', 'what', 'why', 'who', 'when', 'does', 'many', 'you', 'are', 'for', 'of', 'to', 'is', 'do', 'in', 'a', 'an', 'we']);

test('32 triples, three non-empty fields, and every distractor shares a surface word with its query', async () => {
  const text = await readFile(path.join(process.cwd(), 'examples/obvious-triples.tsv'), 'utf8');
  const rows = text.trimEnd().split('\n').map((l) => l.split('\t'));
  expect(rows.length).toBeGreaterThanOrEqual(30);
  rows.forEach((r, i) => {
    expect([i + 1, r.length, r.every((f) => f.trim().length > 0)]).toEqual([i + 1, 3, true]);
    const [query, relevant, distractor] = r as [string, string, string];
    expect(relevant).not.toBe(distractor);
    const words = query.toLowerCase().split(/\W+/).filter((w) => w.length >= 3 && !STOP.has(w));
    expect([query, words.some((w) => distractor.toLowerCase().includes(w))]).toEqual([query, true]);
  });
  expect(new Set(rows.map((r) => r[0])).size).toBe(rows.length);
});

test('the embedded model orders the triples far better than chance, and as well as issue 13 asks', async () => {
  // Two floors, neither taken from the model's own output: chance (under coin flips P(X ≥ k) for
  // X ~ Binomial(n, ½) must be below 0.001) and issue 13's target of 28 of 30 (93%) scaled to the
  // set's size. The model's count is printed; the model card reports it against the target.
  const { selectBackend } = await import('../src/backend/select.js');
  const { DEFAULT_MODEL_DIR } = await import('../src/defaults.js');
  const { loadModel, disposeModel } = await import('../src/model/load.js');
  const { loadTokenizer } = await import('../src/tokenize/tokenizer.js');
  const { makeScorer } = await import('../src/model/scorer.js');
  await selectBackend('wasm');
  const rows = (await readFile(path.join(process.cwd(), 'examples/obvious-triples.tsv'), 'utf8')).trimEnd().split('\n').map((l) => l.split('\t') as [string, string, string]);
  const model = await loadModel(DEFAULT_MODEL_DIR);
  try {
    const tokenizer = await loadTokenizer(DEFAULT_MODEL_DIR, { maxPositionEmbeddings: model.config.maxPositionEmbeddings });
    const scores = await makeScorer(model, tokenizer)(rows.flatMap(([q, rel, dis]) => [[q, rel] as const, [q, dis] as const]));
    const right = rows.filter((_r, i) => (scores[2 * i] as number) > (scores[2 * i + 1] as number)).length;
    const n = rows.length;
    const choose = (a: number, b: number): number => (b === 0 ? 1 : (choose(a, b - 1) * (a - b + 1)) / b);
    let k = n;
    while (k > 0 && Array.from({ length: n - k + 2 }, (_v, j) => choose(n, k - 1 + j)).reduce((s, c) => s + c, 0) / 2 ** n < 0.001) k--;
    // k is now the smallest count whose upper tail is below 0.001 (26 of 32).
    process.stderr.write(`obvious triples: ${right} of ${n} in the right order (chance floor at p < 0.001: ${k})\n`);
    expect(right).toBeGreaterThanOrEqual(k);
    // Issue 13's own target, 28 of 30, at this set's size: at most the same share wrong (⌈32·28/30⌉ = 30).
    expect(right).toBeGreaterThanOrEqual(Math.ceil((n * 28) / 30));
  } finally {
    disposeModel(model);
  }
}, 120_000);
