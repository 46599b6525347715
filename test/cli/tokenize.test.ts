import { jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli/main.js';

const DATA = path.resolve(process.cwd(), '../shared/data');
const MINILM = path.join(DATA, 'ms-marco-MiniLM-L-6-v2');
const vocab = readFileSync(path.join(MINILM, 'vocab.txt'), 'utf8').split('\n');
const ids = (text: string): number[] =>
  text.split(' ').map((t) => {
    const id = vocab.indexOf(t);
    if (id < 0) throw new Error(`not in vocab: ${t}`);
    return id;
  });

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-cli-tok-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs the CLI, capturing stdout and stderr. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const capture =
    (into: string[]) =>
    (chunk: string | Uint8Array): boolean => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
  const so = jest.spyOn(process.stdout, 'write').mockImplementation(capture(out) as typeof process.stdout.write);
  const se = jest.spyOn(process.stderr, 'write').mockImplementation(capture(err) as typeof process.stderr.write);
  try {
    const code = await run(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

interface Line {
  input_ids: number[];
  token_type_ids: number[];
}
const parseLines = (out: string): Line[] =>
  out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

async function tsv(name: string, text: string): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, text);
  return file;
}

test('one JSON line per pair, CRLF tolerated', async () => {
  const file = await tsv(
    'pairs.tsv',
    'How many people live in Berlin?\tBerlin is well known for its museums.\r\nwhat is wifi\tA wireless network.\r\n',
  );
  const r = await cli(['tokenize', MINILM, '--pairs', file]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const lines = parseLines(r.out);
  expect(lines).toHaveLength(2);
  const q = ids('how many people live in berlin ?');
  const p = ids('berlin is well known for its museums .');
  expect(lines[0]).toEqual({
    input_ids: [101, ...q, 102, ...p, 102],
    token_type_ids: [...Array<number>(q.length + 2).fill(0), ...Array<number>(p.length + 1).fill(1)],
  });
  expect(lines[1]?.input_ids).toEqual([101, ...ids('what is wi ##fi'), 102, ...ids('a wireless network .'), 102]);
});

test('--max-length and --truncation only_second', async () => {
  const file = await tsv('short.tsv', 'what is wifi\tA wireless network that connects computers.\n');
  const r = await cli(['tokenize', MINILM, '--pairs', file, '--max-length', '10', '--truncation', 'only_second']);
  expect(r.code).toBe(0);
  expect(parseLines(r.out)).toEqual([
    {
      input_ids: [101, ...ids('what is wi ##fi'), 102, ...ids('a wireless network'), 102],
      token_type_ids: [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    },
  ]);
});

test('default max length is capped by config.json max_position_embeddings', async () => {
  const model = await mkdtemp(path.join(tmp, 'model-'));
  await copyFile(path.join(MINILM, 'vocab.txt'), path.join(model, 'vocab.txt'));
  await writeFile(path.join(model, 'config.json'), JSON.stringify({ max_position_embeddings: 20 }));
  const file = await tsv('long.tsv', `q\t${Array(50).fill('word').join(' ')}\n`);
  const r = await cli(['tokenize', model, '--pairs', file]);
  expect(r.code).toBe(0);
  expect(parseLines(r.out)[0]?.input_ids).toHaveLength(20);
  // and the model's own config (512) with the real folder leaves it untouched
  const r2 = await cli(['tokenize', MINILM, '--pairs', file]);
  expect(parseLines(r2.out)[0]?.input_ids).toHaveLength(50 + 4);
});

test.each([
  ['no TAB', 'a\tb\njust a query\n', 2],
  ['two TABs', 'a\tb\nc\td\te\n', 2],
  ['an empty line', 'a\tb\n\nc\td\n', 2],
])('a line with %s is an error naming file:line', async (_, text, line) => {
  const file = await tsv('bad.tsv', text);
  const r = await cli(['tokenize', MINILM, '--pairs', file]);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err).toMatch(new RegExp(`^celens: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}: `));
});

test('missing pairs file and missing model folder name the path', async () => {
  const file = await tsv('ok.tsv', 'a\tb\n');
  const missing = path.join(tmp, 'nope.tsv');
  const r = await cli(['tokenize', MINILM, '--pairs', missing]);
  expect(r.code).toBe(1);
  expect(r.err).toContain(missing);
  const noModel = path.join(tmp, 'no-model');
  const r2 = await cli(['tokenize', noModel, '--pairs', file]);
  expect(r2.code).toBe(1);
  expect(r2.err).toContain(noModel);
});

test('only_second with a query that does not fit fails with the pair index', async () => {
  const file = await tsv('tight.tsv', 'a\tb\nwhat is the meaning of life\tforty two\n');
  const r = await cli(['tokenize', MINILM, '--pairs', file, '--max-length', '8', '--truncation', 'only_second']);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^celens: pair 1: the query has 6 tokens/);
});

test('an unknown truncation strategy is a usage error', async () => {
  const file = await tsv('ok2.tsv', 'a\tb\n');
  const r = await cli(['tokenize', MINILM, '--pairs', file, '--truncation', 'only_first']);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/only_first/);
});

test('--out IN.safetensors: the padded batch forward and attribute --inputs read (HF padding=True: [PAD] 0, mask 0)', async () => {
  const file = await tsv('two.tsv', 'what is wifi\tA wireless network.\nHow many people live in Berlin?\tBerlin is well known for its museums.\n');
  const out = path.join(tmp, 'in.safetensors');
  const r = await cli(['tokenize', MINILM, '--pairs', file, '--out', out]);
  expect(r.code).toBe(0);
  expect(r.out).toBe('');
  const lines = parseLines((await cli(['tokenize', MINILM, '--pairs', file])).out);
  const T = Math.max(...lines.map((l) => l.input_ids.length));
  expect(r.err).toBe(`celens: wrote 2 pairs × ${T} tokens to ${out}\n`);
  const { readTokenBatch } = await import('../../src/model/inputs.js');
  const b = await readTokenBatch(out);
  expect([b.batch, b.seqLen]).toEqual([2, T]);
  lines.forEach((l, row) => {
    const pad = T - l.input_ids.length;
    expect(Array.from(b.inputIds.slice(row * T, (row + 1) * T))).toEqual([...l.input_ids, ...Array<number>(pad).fill(0)]);
    expect(Array.from(b.tokenTypeIds.slice(row * T, (row + 1) * T))).toEqual([...l.token_type_ids, ...Array<number>(pad).fill(0)]);
    expect(Array.from(b.attentionMask.slice(row * T, (row + 1) * T))).toEqual([...Array<number>(l.input_ids.length).fill(1), ...Array<number>(pad).fill(0)]);
  });
  const { readSafetensors } = await import('../../src/weights/safetensors.js');
  expect([...(await readSafetensors(out)).tensors.values()].map((t) => t.dtype)).toEqual(['I64', 'I64', 'I64']);
  expect((await cli(['tokenize', MINILM, '--pairs', file, '--out', path.join(tmp, 'x.json')])).err).toContain('--out writes a .safetensors file');
});
