/**
 * examples/obvious-triples.tsv (written for this project): query, a relevant passage, and an
 * unrelated passage that shares a surface word with the query (flu / chimney flue). A ranker must
 * put the relevant one first; issue 13 asks for 28 of 30 or better. This test checks the file
 * itself; the model's score on it is reported by the study and the model card.
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
