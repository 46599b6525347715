/**
 * Seed corpora, built at run time from ../shared (read in place, never copied into the repository):
 * small slices of the real files and valid files rebuilt from the fixture's tensors, plus a few
 * crafted ones aimed at the size limits. The runner writes them under fuzz/corpus/<target>/, which
 * git ignores.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SafetensorsReader } from '../src/weights/safetensors.js';
import { serializeSafetensors } from '../src/weights/safetensors-write.js';
import type { TensorToWrite } from '../src/weights/safetensors-write.js';
import { seedJournal as rerankJournal } from './targets/rerank-journal.fuzz.js';
import { seedJournal as attributionJournal } from './targets/journal.fuzz.js';

/** shared/ beside the repository (npm scripts and jest run in the repository root). */
export const SHARED = process.env.CELENS_SHARED ?? resolve(process.cwd(), '../shared');
const data = (p: string): string => join(SHARED, 'data', p);
const fixture = (p: string): string => join(SHARED, 'fixtures/tiny-bert-ce', p);

const text = (file: string): string => readFileSync(file, 'utf8');
const lines = (file: string, from: number, to: number): string => `${text(file).split('\n').slice(from, to).join('\n')}\n`;
const buf = (...s: string[]): Buffer[] => s.map((x) => Buffer.from(x, 'utf8'));
const crlf = (s: string): string => s.replace(/\n/g, '\r\n');

/** The n smallest tensors of a fixture file, rewritten as a valid small file in `dtype`. */
async function smallFile(file: string, n: number, dtype: TensorToWrite['dtype']): Promise<Buffer> {
  const r = await SafetensorsReader.open(file);
  try {
    const infos = [...r.header.tensors].sort((a, b) => a.end - a.begin - (b.end - b.begin)).slice(0, n);
    const out = new Map<string, TensorToWrite>();
    for (const t of infos) {
      const v = await r.read(t.name);
      const isInt = v.data instanceof BigInt64Array || v.data instanceof Int32Array;
      out.set(t.name, { dtype: isInt ? t.dtype : dtype, shape: v.shape, data: v.data as ArrayLike<number> });
    }
    return Buffer.from(serializeSafetensors(out, { format: 'pt' }));
  } finally {
    await r.close();
  }
}

async function safetensors(): Promise<Buffer[]> {
  const model = readFileSync(fixture('model.safetensors'));
  const headerLen = Number(model.readBigUInt64LE(0));
  const claims = Buffer.from(model.subarray(0, 512));
  claims.writeBigUInt64LE(2n ** 60n, 0); // a header claiming 2^60 bytes
  const tiny = serializeSafetensors({ x: { dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, m: { dtype: 'BOOL', shape: [2], data: [0, 1] } });
  return [
    await smallFile(fixture('model.safetensors'), 4, 'F32'),
    await smallFile(fixture('model.f16.safetensors'), 3, 'F16'),
    await smallFile(fixture('model.bf16.safetensors'), 3, 'BF16'),
    await smallFile(fixture('reference.safetensors'), 5, 'F32'),
    Buffer.from(model.subarray(0, Math.min(4096, 8 + headerLen))), // a real header, no data
    claims,
    Buffer.from(tiny),
  ];
}

function shardIndex(): Buffer[] {
  const model = readFileSync(fixture('model.safetensors'));
  const names = Object.keys(JSON.parse(model.subarray(8, 8 + Number(model.readBigUInt64LE(0))).toString('utf8')) as object).filter((n) => n !== '__metadata__');
  const map = Object.fromEntries(names.slice(0, 12).map((n, i) => [n, `model-0000${1 + (i % 2)}-of-00002.safetensors`]));
  return buf(JSON.stringify({ metadata: { total_size: 4036000 }, weight_map: map }, null, 2), JSON.stringify({ weight_map: { a: 'model.safetensors' } }));
}

function tokenizerJson(): Buffer[] {
  const j = JSON.parse(text(data('ms-marco-MiniLM-L-6-v2/tokenizer.json'))) as { model: { vocab: Record<string, number> }; normalizer: Record<string, unknown> };
  const keep = new Set(['what', 'is', 'the', 'a', 'of', 'flea', 'life', '##s', '##ing', 'cycle', 'how', 'long']);
  j.model.vocab = Object.fromEntries(Object.entries(j.model.vocab).filter(([t, id]) => id < 110 || keep.has(t)));
  const small = JSON.stringify(j);
  j.normalizer = { ...j.normalizer, lowercase: false, strip_accents: true };
  return buf(small, JSON.stringify(j));
}

function vocabTxt(): Buffer[] {
  const v = text(data('ms-marco-MiniLM-L-6-v2/vocab.txt')).split('\n');
  const small = [...v.slice(0, 110), ...v.slice(1996, 2100)].join('\n');
  return buf(`${small}\n`, crlf(small));
}

function trec(): Buffer[] {
  const dl19 = (f: string): string => data(`trec-dl-2019-passage/${f}`);
  return buf(
    lines(dl19('topics.dl19-passage.txt'), 0, 8),
    lines(dl19('qrels.dl19-passage.txt'), 0, 16),
    lines(dl19('trec_results_dl19.txt'), 0, 16),
    crlf(lines(data('trec-dl-2020-passage/trec_results_dl20.txt'), 0, 8)),
    lines(data('noveleval-2306/queries.tsv'), 0, 6),
  );
}

function rankLlmSlice(queries: number, hits: number): Array<{ query: string; hits: Array<Record<string, unknown>> }> {
  const all = JSON.parse(text(data('trec-dl-2019-passage/retrieve_results_dl19.json'))) as Array<{ query: string; hits: Array<Record<string, unknown>> }>;
  return all.slice(0, queries).map((e) => ({ query: e.query, hits: e.hits.slice(0, hits).map((h) => ({ ...h, content: String(h.content).slice(0, 160) })) }));
}

function beir(): Buffer[] {
  const slice = rankLlmSlice(2, 3);
  const corpus = slice.flatMap((e) => e.hits.map((h) => JSON.stringify({ _id: String(h.docid), title: '', text: h.content })));
  const queries = slice.map((e) => JSON.stringify({ _id: String(e.hits[0]?.qid), text: e.query }));
  const qrels = ['query-id\tcorpus-id\tscore', ...slice.flatMap((e) => e.hits.map((h, i) => `${String(h.qid)}\t${String(h.docid)}\t${i % 3}`))];
  return buf(`${corpus.join('\n')}\n`, `${queries.join('\n')}\n`, `${qrels.join('\n')}\n`);
}

function smart(): Buffer[] {
  return buf(
    lines(data('adi/ADI.ALL'), 0, 40),
    lines(data('adi/ADI.QRY'), 0, 20),
    lines(data('adi/ADI.REL'), 0, 12),
    lines(data('cranfield/cranqrel'), 0, 12),
    lines(data('medline/MED.REL'), 0, 12),
    crlf(lines(data('cranfield/cran.all.1400'), 0, 30)),
  );
}

function npl(): Buffer[] {
  return buf(lines(data('vaswani-npl/doc-text.trec'), 0, 30), lines(data('vaswani-npl/query-text.trec'), 0, 30));
}

function pairsTsv(): Buffer[] {
  const pairs = rankLlmSlice(2, 4).flatMap((e) => e.hits.map((h) => `${e.query}\t${String(h.content).slice(0, 80)}`));
  return buf(`${pairs.join('\n')}\n`, crlf(pairs.slice(0, 3).join('\n')), '\tonly a passage\nonly a query\t\n');
}

/** Seeds per target name (the file name before `.fuzz.ts`). */
export const SEEDS: Record<string, () => Buffer[] | Promise<Buffer[]>> = {
  safetensors,
  'shard-index': shardIndex,
  config: () => ['config.json', 'ms-marco-MiniLM-L-6-v2/config.json', 'ms-marco-MiniLM-L-12-v2/config.json', 'ms-marco-TinyBERT-L-2-v2/config.json'].map((f) => readFileSync(f === 'config.json' ? fixture(f) : data(f))),
  'tokenizer-json': tokenizerJson,
  'vocab-txt': vocabTxt,
  'tokenizer-config': () => [readFileSync(data('ms-marco-MiniLM-L-6-v2/tokenizer_config.json')), readFileSync(data('ms-marco-MiniLM-L-12-v2/tokenizer_config.json'))],
  'pairs-tsv': pairsTsv,
  trec,
  beir,
  smart,
  npl,
  rankllm: () => buf(JSON.stringify(rankLlmSlice(2, 3), null, 2)),
  masks: () => buf('{"layer.0.ffn": [1, 5, 7], "layer.2.attn.heads": [3]}', '{}', '{"layer.1.ffn": [0, 63], "layer.1.attn.heads": [0, 1, 2, 3]}'),
  journal: () => buf(attributionJournal()),
  'rerank-journal': async () => buf(await rerankJournal()),
};
