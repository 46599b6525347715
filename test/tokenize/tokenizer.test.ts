import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { TokenizerError } from '../../src/errors.js';
import { loadTokenizer, padBatch, type PairEncoding, type PairTokenizer } from '../../src/tokenize/tokenizer.js';

// jest runs from the repo root; the shared data sits next to it.
const DATA = path.resolve(process.cwd(), '../shared/data');
const MINILM = path.join(DATA, 'ms-marco-MiniLM-L-6-v2');
const WP = path.join(DATA, 'bert-base-uncased-wordpiece');

let tmp: string;
// id = line index, read here independently of the library
const vocab = readFileSync(path.join(WP, 'bert-vocab.txt'), 'utf8').split('\n').slice(0, 30522);
let viaJson: PairTokenizer;
let viaVocab: PairTokenizer;
const byPath: Array<[string, () => PairTokenizer]> = [
  ['tokenizer.json', () => viaJson],
  ['bare vocab.txt', () => viaVocab],
];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-tok-'));
  await mkdir(path.join(tmp, 'bare'));
  await copyFile(path.join(WP, 'bert-vocab.txt'), path.join(tmp, 'bare', 'vocab.txt'));
  viaJson = await loadTokenizer(MINILM);
  viaVocab = await loadTokenizer(path.join(tmp, 'bare'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const vocabIds = new Map(vocab.map((t, i) => [t, i]));
function idOf(token: string): number {
  const id = vocabIds.get(token);
  if (id === undefined) throw new Error(`fixture token not in vocab: ${token}`);
  return id;
}

/** Whole-word vocab entries (lower-case letters only, not `##`): each is exactly one token. */
function words(n: number, offset: number): string[] {
  const out: string[] = [];
  for (let i = 3000; out.length < n + offset; i++) {
    const t = vocab[i] ?? '';
    if (/^[a-z]{3,}$/.test(t)) out.push(t);
  }
  return out.slice(offset);
}

describe('special ids and sizes', () => {
  test.each(byPath)('%s', (_, tok) => {
    const t = tok();
    expect([t.padId, t.unkId, t.clsId, t.sepId]).toEqual([
      idOf('[PAD]'),
      idOf('[UNK]'),
      idOf('[CLS]'),
      idOf('[SEP]'),
    ]);
    expect([t.padId, t.unkId, t.clsId, t.sepId]).toEqual([0, 100, 101, 102]);
    expect(t.vocabSize).toBe(30522);
    expect(t.defaultMaxLength).toBe(512);
  });

  test('model_max_length comes from tokenizer_config.json; Infinity without one', () => {
    expect(viaJson.modelMaxLength).toBe(512);
    expect(viaVocab.modelMaxLength).toBe(Number.POSITIVE_INFINITY);
  });

  test('max_position_embeddings caps the default max length', async () => {
    const t = await loadTokenizer(MINILM, { maxPositionEmbeddings: 128 });
    expect(t.defaultMaxLength).toBe(128);
    const [e] = await t.encodePairs([['q', Array(300).fill('word').join(' ')]]);
    expect(e?.inputIds).toHaveLength(128);
  });
});

describe('WordPiece conformance with the Python BERT tokenizer', () => {
  interface Question {
    original: string;
    wordpiece: string[];
  }

  test.each(byPath)('all 10,570 SQuAD dev questions (%s)', async (_, tok) => {
    const questions = JSON.parse(await readFile(path.join(WP, 'question_tokens.json'), 'utf8')) as Question[];
    const expected = JSON.parse(await readFile(path.join(WP, 'tokenized_questions.json'), 'utf8')) as number[][];
    expect(questions).toHaveLength(10570);
    expect(expected).toHaveLength(10570);
    const got = await tok().encodeTexts(questions.map((q) => q.original));
    const bad: string[] = [];
    questions.forEach((q, i) => {
      // The two fixtures agree with each other through the vocab...
      expect(q.wordpiece.map(idOf)).toEqual(expected[i]);
      if (JSON.stringify(got[i]) !== JSON.stringify(expected[i])) bad.push(`${i}: ${q.original}`);
    });
    // ...and the tokenizer reproduces every one.
    expect(bad.slice(0, 10)).toEqual([]);
  });

  test.each(byPath)('single encodeText agrees with the batch path (%s)', async (_, tok) => {
    const q = 'In what country is Normandy located?';
    expect(await tok().encodeText(q)).toEqual(['in', 'what', 'country', 'is', 'normandy', 'located', '?'].map(idOf));
  });

  test.each(byPath)('accented French paragraph, with [CLS]/[SEP] (%s)', async (_, tok) => {
    const fx = JSON.parse(await readFile(path.join(WP, 'bert_uncased_encoded.json'), 'utf8')) as {
      text: string;
      bpe_tokens: string[];
      token_ids: number[];
    };
    const t = tok();
    const ids = [t.clsId, ...(await t.encodeText(fx.text)), t.sepId];
    expect(fx.token_ids).toHaveLength(190);
    expect(ids).toEqual(fx.token_ids);
    expect(fx.bpe_tokens.map(idOf)).toEqual(fx.token_ids.slice(1, -1));
  });

  const topics: Array<[string, string, string]> = [
    ['DL19', 'trec-dl-2019-passage/topics.dl19-passage.txt', 'trec-dl-2019-passage/topics.dl19-passage.wp.tsv.gz'],
    ['DL20', 'trec-dl-2020-passage/topics.dl20.txt', 'trec-dl-2020-passage/topics.dl20.wp.tsv.gz'],
  ];
  const cases = topics.flatMap(([name, raw, wp]) => byPath.map(([how, tok]) => [name, how, raw, wp, tok] as const));

  test.each(cases)('%s topics, reference WordPiece (%s)', async (name, _, rawFile, wpFile, tok) => {
    const parse = (text: string): Map<string, string> =>
      new Map(
        text
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => {
            const tab = l.indexOf('\t');
            return [l.slice(0, tab), l.slice(tab + 1).replace(/\r$/, '')] as [string, string];
          }),
      );
    const queries = parse(await readFile(path.join(DATA, rawFile), 'utf8'));
    const reference = parse(gunzipSync(await readFile(path.join(DATA, wpFile))).toString('utf8'));
    expect(reference.size).toBe(name === 'DL19' ? 43 : 200);
    expect([...reference.keys()].sort()).toEqual([...queries.keys()].sort());
    const qids = [...reference.keys()];
    const got = await tok().encodeTexts(qids.map((q) => queries.get(q) ?? ''));
    const bad = qids.filter((qid, i) => {
      const want = (reference.get(qid) ?? '').split(' ').map(idOf);
      return JSON.stringify(got[i]) !== JSON.stringify(want);
    });
    expect(bad).toEqual([]);
  });

  test.each(byPath)('CJK characters are split one per token (%s)', async (_, tok) => {
    expect(await tok().encodeText('中文')).toEqual([idOf('中'), idOf('文')]);
  });

  test.each(byPath)('"[SEP]" in a text stays the special token (%s)', async (_, tok) => {
    expect(await tok().encodeText('hello [SEP] world')).toEqual([idOf('hello'), 102, idOf('world')]);
  });
});

describe('pair layout', () => {
  const q = 'How many people live in Berlin?';
  const p = 'Berlin is well known for its museums.';
  const qIds = ['how', 'many', 'people', 'live', 'in', 'berlin', '?'].map(idOf);
  const pIds = ['berlin', 'is', 'well', 'known', 'for', 'its', 'museums', '.'].map(idOf);

  test.each(byPath)('[CLS] q [SEP] p [SEP], token types 0 then 1 (%s)', async (_, tok) => {
    const [e] = await tok().encodePairs([[q, p]]);
    expect(e).toEqual({
      inputIds: [101, ...qIds, 102, ...pIds, 102],
      tokenTypeIds: [...Array<number>(qIds.length + 2).fill(0), ...Array<number>(pIds.length + 1).fill(1)],
    });
  });

  test('both loading paths agree on real DL19 pairs, with and without truncation', async () => {
    const data = JSON.parse(
      await readFile(path.join(DATA, 'trec-dl-2019-passage/retrieve_results_dl19.json'), 'utf8'),
    ) as Array<{ query: string; hits: Array<{ content: string }> }>;
    const pairs = data.flatMap((d) => d.hits.slice(0, 15).map((h) => [d.query, h.content] as [string, string]));
    for (const maxLength of [512, 64, 19]) {
      const a = await viaJson.encodePairs(pairs, { maxLength });
      const b = await viaVocab.encodePairs(pairs, { maxLength });
      expect(a).toEqual(b);
      const longest = Math.max(...a.map((e) => e.inputIds.length));
      if (maxLength === 512) expect(longest).toBeLessThan(512); // no DL19 pair is that long
      else expect(longest).toBe(maxLength);
    }
  });
});

describe('truncation', () => {
  /**
   * HF's Rust longest_first (tokenizers/src/utils/truncation.rs), worked by hand. Budget
   * b = maxLength − 3. If the shorter side s fits next to max(s, b − s) tokens of the longer
   * side, only the longer is cut to b − s; otherwise the shorter gets ⌊b/2⌋ and the longer ⌈b/2⌉
   * (on equal lengths the passage counts as the longer). Contrast the slow Python tokenizer
   * (one token at a time, ties cut from the passage), which gives (7, 6) for (10, 30, 16).
   */
  const longestFirst: Array<[number, number, number, number, number]> = [
    // query, passage, maxLength → kept query, kept passage
    [10, 30, 16, 6, 7], // b = 13; 10 + max(10, 3) = 20 > 13 → 6 / 7
    [30, 10, 16, 7, 6], // mirrored: the longer side (query) gets the odd token
    [10, 10, 16, 6, 7], // tie → passage gets ⌈13/2⌉
    [10, 30, 17, 7, 7], // b = 14 → 7 / 7
    [3, 30, 16, 3, 10], // short query kept whole, passage gets 13 − 3
    [30, 3, 16, 10, 3],
    [12, 5, 40, 12, 5], // fits: nothing removed
    [5, 5, 4, 0, 1], // b = 1 → ⌊1/2⌋ = 0 / 1
    [20, 20, 3, 0, 0], // b = 0 → only the specials
  ];

  test.each(longestFirst)(
    'longest_first: query %i, passage %i, max %i → %i + %i',
    async (nq, np, maxLength, keepQ, keepP) => {
      const qWords = words(nq, 0);
      const pWords = words(np, 40);
      for (const [, tok] of byPath) {
        const [e] = await tok().encodePairs([[qWords.join(' '), pWords.join(' ')]], {
          maxLength,
          truncation: 'longest_first',
        });
        // Cut from the right of each side.
        expect(e?.inputIds).toEqual([
          101,
          ...qWords.slice(0, keepQ).map(idOf),
          102,
          ...pWords.slice(0, keepP).map(idOf),
          102,
        ]);
        expect(e?.tokenTypeIds).toEqual([
          ...Array<number>(keepQ + 2).fill(0),
          ...Array<number>(keepP + 1).fill(1),
        ]);
      }
    },
  );

  test('longest_first is the default', async () => {
    const pair: [string, string] = [words(10, 0).join(' '), words(30, 40).join(' ')];
    const [a] = await viaJson.encodePairs([pair], { maxLength: 16 });
    const [b] = await viaJson.encodePairs([pair], { maxLength: 16, truncation: 'longest_first' });
    expect(a).toEqual(b);
  });

  test.each(byPath)('only_second cuts only the passage (%s)', async (_, tok) => {
    const qWords = words(10, 0);
    const pWords = words(30, 40);
    const encs = await tok().encodePairs(
      [
        [qWords.join(' '), pWords.join(' ')],
        [words(12, 0).join(' '), words(5, 40).join(' ')],
        [words(13, 0).join(' '), ''], // fits exactly: nothing to cut, no error
      ],
      { maxLength: 16, truncation: 'only_second' },
    );
    expect(encs[0]?.inputIds).toEqual([101, ...qWords.map(idOf), 102, ...pWords.slice(0, 3).map(idOf), 102]);
    expect(encs[1]?.inputIds).toEqual([101, ...words(12, 0).map(idOf), 102, idOf(words(1, 40)[0] ?? ''), 102]);
    expect(encs[2]?.inputIds).toEqual([101, ...words(13, 0).map(idOf), 102, 102]);
  });

  test.each(byPath)('only_second: a query leaving no passage token is an error (%s)', async (_, tok) => {
    const run = tok().encodePairs(
      [
        ['short query', 'short passage'],
        [words(13, 0).join(' '), words(5, 40).join(' ')], // 13 + 3 = 16: passage would lose all 5
      ],
      { maxLength: 16, truncation: 'only_second' },
    );
    await expect(run).rejects.toThrow(TokenizerError);
    await expect(run).rejects.toThrow(/^pair 1: the query has 13 tokens.*only_second.*≥ 17.*got 16/);
  });

  test('the tokenizer still works after a failed batch', async () => {
    await expect(
      viaJson.encodePairs([[words(20, 0).join(' '), 'x y']], { maxLength: 8, truncation: 'only_second' }),
    ).rejects.toThrow(/pair 0/);
    const [e] = await viaJson.encodePairs([['a', 'b']], { maxLength: 8 });
    expect(e?.inputIds).toEqual([101, idOf('a'), 102, idOf('b'), 102]);
  });

  test.each([2, 0, -1, 1.5, Number.NaN])('max length %p is rejected', async (maxLength) => {
    await expect(viaJson.encodePairs([['a', 'b']], { maxLength })).rejects.toThrow(TokenizerError);
  });

  test('default max length is 512', async () => {
    const long = Array(600).fill('word').join(' ');
    for (const [, tok] of byPath) {
      const [e] = await tok().encodePairs([[long, long]]);
      expect(e?.inputIds).toHaveLength(512);
      // longest_first on a tie: 509 → 254 query + 255 passage tokens.
      expect(e?.tokenTypeIds.filter((t) => t === 0)).toHaveLength(254 + 2);
    }
  });

  test('concurrent calls with different settings do not leak into each other', async () => {
    // The binding reads truncation settings when each queued encode runs; without the lock,
    // almost all of the first batch comes out with the second batch's length.
    const pair: [string, string] = ['q', Array(100).fill('word').join(' ')];
    const many = Array.from({ length: 300 }, () => pair);
    const [a, b, c, t] = await Promise.all([
      viaJson.encodePairs(many, { maxLength: 16 }),
      viaJson.encodePairs(many, { maxLength: 40 }),
      viaJson.encodePairs(many, { maxLength: 24, truncation: 'only_second' }),
      viaJson.encodeTexts(many.map((p) => p[1])),
    ]);
    const lengths = (es: PairEncoding[]): number[] => [...new Set(es.map((e) => e.inputIds.length))];
    expect(lengths(a)).toEqual([16]);
    expect(lengths(b)).toEqual([40]);
    expect(lengths(c)).toEqual([24]);
    expect([...new Set(t.map((ids) => ids.length))]).toEqual([100]);
  });

  test('an empty batch encodes to nothing', async () => {
    expect(await viaJson.encodePairs([])).toEqual([]);
    expect(await viaJson.encodeTexts([])).toEqual([]);
  });
});

describe('padBatch', () => {
  const encs: PairEncoding[] = [
    { inputIds: [101, 7, 102, 8, 102], tokenTypeIds: [0, 0, 0, 1, 1] },
    { inputIds: [101, 9, 102], tokenTypeIds: [0, 0, 1] },
  ];

  test('right-pads to the longest with pad id, type 0, mask 0', () => {
    const b = padBatch(encs, 0);
    expect([b.batch, b.seqLen]).toEqual([2, 5]);
    expect(Array.from(b.inputIds)).toEqual([101, 7, 102, 8, 102, 101, 9, 102, 0, 0]);
    expect(Array.from(b.tokenTypeIds)).toEqual([0, 0, 0, 1, 1, 0, 0, 1, 0, 0]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(b.inputIds).toBeInstanceOf(Int32Array);
  });

  test('padTo and a non-zero pad id', () => {
    const b = padBatch(encs, 5, 7);
    expect([b.batch, b.seqLen]).toEqual([2, 7]);
    expect(Array.from(b.inputIds)).toEqual([101, 7, 102, 8, 102, 5, 5, 101, 9, 102, 5, 5, 5, 5]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(b.tokenTypeIds)).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  test('errors: too long for padTo, ragged encoding', () => {
    expect(() => padBatch(encs, 0, 4)).toThrow(TokenizerError);
    expect(() => padBatch([{ inputIds: [1, 2], tokenTypeIds: [0] }], 0)).toThrow(/encoding 0/);
  });

  test('empty batch', () => {
    const b = padBatch([], 0);
    expect([b.batch, b.seqLen, b.inputIds.length]).toEqual([0, 0, 0]);
  });
});

describe('loading errors name the file', () => {
  async function dirWith(files: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(path.join(tmp, 'case-'));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
    return dir;
  }

  async function loadError(dir: string): Promise<TokenizerError> {
    try {
      await loadTokenizer(dir);
    } catch (err: unknown) {
      if (err instanceof TokenizerError) return err;
      throw err;
    }
    throw new Error('loadTokenizer did not fail');
  }

  test('folder without tokenizer.json or vocab.txt', async () => {
    const dir = await dirWith({ 'config.json': '{}' });
    const err = await loadError(dir);
    expect(err.file).toBe(dir);
    expect(err.message).toMatch(/tokenizer\.json or vocab\.txt/);
  });

  test('missing folder', async () => {
    const err = await loadError(path.join(tmp, 'nope'));
    expect(err.file).toBe(path.join(tmp, 'nope'));
  });

  test('tokenizer.json that is not JSON', async () => {
    const dir = await dirWith({ 'tokenizer.json': '{"version": ' });
    const err = await loadError(dir);
    expect(err.file).toBe(path.join(dir, 'tokenizer.json'));
    expect(err.message).toMatch(/tokenizer\.json:1: not valid JSON \(column 13: /);
  });

  test('tokenizer.json that is JSON but not a tokenizer', async () => {
    const dir = await dirWith({ 'tokenizer.json': '{"x": 1}' });
    const err = await loadError(dir);
    expect(err.file).toBe(path.join(dir, 'tokenizer.json'));
  });

  test('invalid tokenizer_config.json', async () => {
    const dir = await dirWith({ 'vocab.txt': vocab.join('\n'), 'tokenizer_config.json': '{nope' });
    const err = await loadError(dir);
    expect(err.file).toBe(path.join(dir, 'tokenizer_config.json'));
  });

  test.each(['[CLS]', '[SEP]', '[PAD]', '[UNK]'])('vocab.txt without %s', async (token) => {
    const dir = await dirWith({ 'vocab.txt': vocab.filter((t) => t !== token).join('\n') });
    const err = await loadError(dir);
    expect(err.file).toBe(path.join(dir, 'vocab.txt'));
    expect(err.message).toContain(token);
  });
});

describe('tokenizer_config.json options', () => {
  test('do_lower_case false keeps case (bare vocab): upper-case words are unknown to an uncased vocab', async () => {
    const dir = await mkdtemp(path.join(tmp, 'cased-'));
    await copyFile(path.join(WP, 'bert-vocab.txt'), path.join(dir, 'vocab.txt'));
    const config = { do_lower_case: false, model_max_length: 64 };
    await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
    const t = await loadTokenizer(dir);
    expect(await t.encodeText('Hello world')).toEqual([100, idOf('world')]);
    expect(t.modelMaxLength).toBe(64);
    expect(t.defaultMaxLength).toBe(64);
  });

  test('do_lower_case false overrides the tokenizer.json normalizer, as BertTokenizerFast does', async () => {
    const dir = await mkdtemp(path.join(tmp, 'cased-json-'));
    await copyFile(path.join(MINILM, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    await writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    const t = await loadTokenizer(dir);
    expect(await t.encodeText('Hello world')).toEqual([100, idOf('world')]);
    // without a tokenizer_config.json the serialized (lower-casing) normalizer stands
    await rm(path.join(dir, 'tokenizer_config.json'));
    expect(await (await loadTokenizer(dir)).encodeText('Hello world')).toEqual([idOf('hello'), idOf('world')]);
  });

  test('accents are stripped when lower-casing (strip_accents unset)', async () => {
    for (const [, tok] of byPath) {
      expect(await tok().encodeText('Café')).toEqual(await tok().encodeText('cafe'));
    }
  });
});
