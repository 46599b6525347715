/** The report's readers: sweeps and neuron sets, and the file:line errors for bad ones. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CelensError } from '../../src/errors.js';
import { readNeuronSetInput, readSweepInput } from '../../src/report/inputs.js';
import { sweepLines, SWEEP_CELLS, writeSet, writeSweep } from './fixtures.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'celens-report-inputs-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<CelensError> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof CelensError)) throw new Error(`expected a CelensError, got ${String(e)}`);
  return e;
}

test('a sweep: baselines apart from cells, budgets and seeds kept', async () => {
  const file = await writeSweep(path.join(tmp, 'sweep.jsonl'));
  const s = await readSweepInput(file);
  expect(s.collection).toBe('toy-collection');
  expect(s.baselines.map((b) => [b.strategy, b.metrics['nDCG@10'], b.line])).toEqual([['first-stage', 0.5, 2], ['random-ranking', 0.2, 3], ['unpruned', 0.7, 4]]);
  expect(s.cells).toHaveLength(8);
  expect(s.cells[0]).toEqual({ line: 5, strategy: 'top', unit: 'neurons', ablation: 'zero', budget: 0.01, metrics: { 'nDCG@10': 0.6, 'RR@10': 0.7 } });
  expect(s.cells.filter((c) => c.strategy === 'random').map((c) => c.seed)).toEqual([1, 1, 2, 2, 3, 3]);
});

test('a sweep still running: the half-written last line is left out', async () => {
  const file = path.join(tmp, 'running.jsonl');
  await writeFile(file, `${sweepLines(SWEEP_CELLS.slice(0, 4)).join('\n')}\n{"cell":"top@0.1","stra`);
  const s = await readSweepInput(file);
  expect(s.cells).toHaveLength(1);
  expect(s.baselines).toHaveLength(3);
  // With a warn callback the line left out is named; the file is never changed.
  const notes: string[] = [];
  await readSweepInput(file, (m) => notes.push(m));
  expect(notes).toEqual([`${file}:6: torn last line (no newline, 23 bytes) left out: the run writing this file was stopped mid-line or is still running`]);
  expect((await readFile(file, 'utf8')).endsWith('"stra')).toBe(true);
});

test.each([
  ['not a sweep header', ['{"celens":"attribute"}'], 1, 'not a celens prune sweep'],
  ['a broken line', [sweepLines([])[0] as string, '{"strategy": "top",'], 2, 'not valid JSON (column 20: '],
  ['a cell without a budget', sweepLines([{ strategy: 'top', budget: null, metrics: { 'nDCG@10': 1 } }]), 2, '"budget" must be a share'],
  ['a budget above 1', sweepLines([{ strategy: 'top', budget: 2, metrics: { 'nDCG@10': 1 } }]), 2, '"budget" must be a share'],
  ['a metric that is not a number', [...sweepLines(SWEEP_CELLS.slice(0, 2)), '{"strategy":"top","budget":0.1,"metrics":{"AP":"high"}}'], 4, 'metric AP is not a finite number'],
  ['no metrics', [...sweepLines([]), '{"strategy":"top","budget":0.1}'], 2, 'needs "metrics"'],
])('sweep with %s: CelensError naming file and line', async (_name, lines, line, message) => {
  const file = path.join(tmp, `bad-${line}-${lines.length}.jsonl`);
  await writeFile(file, `${lines.join('\n')}\n`);
  const e = await rejection(readSweepInput(file));
  expect(e.file).toBe(file);
  expect(e.line).toBe(line);
  expect(e.message).toContain(`${file}:${line}: `);
  expect(e.message).toContain(message);
});

test('an empty or missing sweep file', async () => {
  const empty = path.join(tmp, 'empty.jsonl');
  await writeFile(empty, '');
  expect((await rejection(readSweepInput(empty))).message).toBe(`${empty}: empty file: no sweep header`);
  expect((await rejection(readSweepInput(path.join(tmp, 'nope.jsonl')))).message).toContain('cannot read (ENOENT)');
});

test('a neuron set: FFN indices per layer, sorted and distinct; heads left out; named by its meta file', async () => {
  const file = await writeSet(path.join(tmp, 'rel.json'), { 'layer.1.ffn': [5, 2, 5], 'layer.0.ffn': [7], 'layer.0.attn.heads': [1] }, { celens: 'neurons', set: 'dl19/top-p:1', perLayer: [1, 2, 0, 0] });
  const s = await readNeuronSetInput(file);
  expect(s).toEqual({ file, name: 'dl19/top-p:1', layers: [[7], [2, 5], [], []] });
  const plain = await writeSet(path.join(tmp, 'plain.json'), { 'layer.2.ffn': [1] });
  expect(await readNeuronSetInput(plain)).toEqual({ file: plain, name: 'plain', layers: [[], [], [1]] });
});

test.each([
  ['an unknown target', '{\n "layer.0.ffn": [1],\n "layer.1.mlp": [2]\n}\n', 3, "unknown mask target 'layer.1.mlp'"],
  ['a negative index', '{\n "layer.0.ffn": [1, -2]\n}\n', 2, "'layer.0.ffn': -2 is not a neuron index"],
  ['a list that is not one', '{\n "layer.0.ffn": 3\n}\n', 2, 'must be a list'],
  ['broken JSON', '{\n "layer.0.ffn": [1,\n}\n', 3, 'not valid JSON'],
  ['an array', '[1, 2]\n', 1, 'a mask is a JSON object'],
])('a set with %s: CelensError naming file and line', async (_name, text, line, message) => {
  const file = path.join(tmp, `bad-set-${line}-${text.length}.json`);
  await writeFile(file, text);
  const e = await rejection(readNeuronSetInput(file));
  expect(e.file).toBe(file);
  expect(e.line).toBe(line);
  expect(e.message).toContain(message);
});
