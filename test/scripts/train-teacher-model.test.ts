/**
 * --teacher-model (knowledge distillation): a model's logits replace BM25 as the teacher. The
 * targets are checked from first principles (softTargets, applyTeacher with a scorer written
 * here), and a real run's first loss is recomputed outside the trainer: the groups of step 0,
 * the student's and the teacher's logits from `celens score`'s own path (makeScorer), and the
 * cross-entropy against (1 − λ)·one-hot + λ·softmax(teacher / T).
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyTeacher, train } from '../../scripts/train-cross-encoder.js';
import { loadTrainData, makeGroup, softTargets, TRAIN_SPLIT } from '../../scripts/train-data.js';
import type { Group } from '../../scripts/train-data.js';
import { disposeModel, loadModel } from '../../src/model/load.js';
import { makeScorer } from '../../src/model/scorer.js';
import { loadTokenizer } from '../../src/tokenize/load.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { writeSafetensors } from '../../src/weights/safetensors-write.js';
import { SHARED } from '../helpers/fixture.js';
import { toyTrainOptions } from '../helpers/train-toy.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-teacher-'));
  await train(toyTrainOptions(dir, 'teacher'));
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('softTargets: (1 − λ)·one-hot on the first + λ·softmax(scores / T)', () => {
  const e = Math.E;
  const t = softTargets([2, 0, 0], 0.5, 2);
  // softmax([1, 0, 0]) = [e, 1, 1] / (e + 2)
  expect(t[0]).toBeCloseTo(0.5 + (0.5 * e) / (e + 2), 12);
  expect(t[1]).toBeCloseTo(0.5 / (e + 2), 12);
  expect(t[2]).toBeCloseTo(0.5 / (e + 2), 12);
  expect(softTargets([0, 5, 3], 0, 1)).toEqual([1, 0, 0]);
  // Large scores do not overflow.
  expect(softTargets([1000, 1000], 1, 1)).toEqual([0.5, 0.5]);
});

test('applyTeacher: λ by the group\'s kind, pairs in group order, λ = 0 keeps the one-hot target', async () => {
  const groups: Group[] = [
    { query: 'q1', passages: ['a', 'b'], kind: 'pseudo-terms' },
    { query: 'q2', passages: ['c', 'd'], kind: 'real' },
    { query: 'q3', passages: ['e', 'f'], kind: 'pseudo-span' },
  ];
  const seen: string[] = [];
  const logit: Record<string, number> = { a: 1, b: 0, c: 0, d: 3, e: 2, f: 2 };
  await applyTeacher(groups, async (pairs) => pairs.map(([q, p]) => (seen.push(`${q}/${p}`), logit[p] as number)), { teacher: 0.6, teacherReal: 0, temperature: 0.5 });
  expect(seen).toEqual(['q1/a', 'q1/b', 'q3/e', 'q3/f']);
  const s = 1 / (1 + Math.exp(-2)); // softmax([2, 0])[0]
  expect(groups[0]?.targets?.[0]).toBeCloseTo(0.4 + 0.6 * s, 12);
  expect(groups[0]?.targets?.[1]).toBeCloseTo(0.6 * (1 - s), 12);
  expect(groups[1]?.targets).toBeUndefined();
  expect(groups[2]?.targets?.[0]).toBeCloseTo(0.7, 12);
  expect(groups[2]?.targets?.[1]).toBeCloseTo(0.3, 12);
});

test('a run with --teacher-model: the first step\'s loss is the cross-entropy against the teacher\'s soft targets', async () => {
  // The teacher has its own tokenizer: the HF fixture (3 layers, hidden 32) with BERT's vocabulary.
  const teacherDir = join(dir, 'fixture-teacher');
  await mkdir(teacherDir);
  for (const f of ['config.json', 'model.safetensors']) await copyFile(join(SHARED, 'fixtures', 'tiny-bert-ce', f), join(teacherDir, f));
  await copyFile(join(SHARED, 'data', 'bert-base-uncased-wordpiece', 'bert-vocab.txt'), join(teacherDir, 'vocab.txt'));
  // The toy student's logits are nearly equal across passages, where every target gives the same
  // loss: a larger classifier spreads them.
  await train(toyTrainOptions(dir, 'start', { seed: 6, initFrom: join(dir, 'teacher'), steps: 1 }));
  await scaleClassifier(join(dir, 'start', 'model.safetensors'), 20_000);
  const o = toyTrainOptions(dir, 'student', { initFrom: join(dir, 'start'), teacherModel: teacherDir, teacher: 0.8, teacherReal: 0.5, temperature: 0.7, steps: 1, logEvery: 1, groupsPerStep: 4 });
  await train(o);
  const log = JSON.parse(await readFile(join(dir, 'student', 'training_log.json'), 'utf8')) as { curve: Array<{ step: number; loss: number }> };

  const data = await loadTrainData(join(SHARED, 'data'), TRAIN_SPLIT);
  const groups = Array.from({ length: 4 }, (_v, slot) => makeGroup(data, o.seed, 0, slot, { groupSize: 3, realShare: 0.5 }));
  expect(new Set(groups.map((g) => g.kind === 'real')).size).toBe(2); // both λs are exercised
  const logits = async (folder: string): Promise<number[]> => {
    const m = await loadModel(folder);
    try {
      const score = makeScorer(m, await loadTokenizer(folder), { activation: 'none', maxLength: 48 });
      return await score(groups.flatMap((g) => g.passages.map((p) => [g.query, p] as const)));
    } finally {
      disposeModel(m);
    }
  };
  const [student, teacher] = [await logits(join(dir, 'start')), await logits(teacherDir)];
  let loss = 0;
  groups.forEach((g, i) => {
    const s = student.slice(3 * i, 3 * i + 3);
    const t = softTargets(teacher.slice(3 * i, 3 * i + 3), g.kind === 'real' ? 0.5 : 0.8, 0.7);
    const lse = Math.log(s.reduce((a, x) => a + Math.exp(x), 0));
    loss -= t.reduce((a, ti, j) => a + ti * ((s[j] as number) - lse), 0) / groups.length;
  });
  expect(log.curve[0]?.step).toBe(1);
  // float32 forward in both; the one-hot loss (no teacher) differs from this by far more.
  expect(Math.abs((log.curve[0]?.loss as number) - loss)).toBeLessThan(1e-4 * Math.max(1, loss));
  let oneHot = 0;
  groups.forEach((_g, i) => {
    const s = student.slice(3 * i, 3 * i + 3);
    oneHot -= ((s[0] as number) - Math.log(s.reduce((a, x) => a + Math.exp(x), 0))) / groups.length;
  });
  expect(Math.abs(oneHot - loss)).toBeGreaterThan(0.05);
}, 300_000);

async function scaleClassifier(file: string, by: number): Promise<void> {
  const st = await readSafetensors(file);
  const w = st.tensors.get('classifier.weight');
  if (!w) throw new Error(`${file}: no classifier.weight`);
  st.tensors.set('classifier.weight', { ...w, data: (w.data as Float32Array).map((x) => x * by) });
  await writeSafetensors(file, new Map([...st.tensors].map(([n, t]) => [n, { dtype: 'F32' as const, shape: [...t.shape], data: t.data as Float32Array }])), { format: 'pt' });
}

test('--teacher-model with --objective mlm is an error naming the folder', async () => {
  await expect(train(toyTrainOptions(dir, 'mlm', { initFrom: join(dir, 'teacher'), objective: 'mlm', teacherModel: join(dir, 'teacher') }))).rejects.toThrow(/--teacher-model .*teacher: a teacher needs --objective rank/);
}, 300_000);

test('a teacher whose head has two outputs is an error naming the folder', async () => {
  const two = join(dir, 'two-labels');
  await mkdir(two);
  const config = JSON.parse(await readFile(join(SHARED, 'fixtures', 'tiny-bert-ce', 'config.json'), 'utf8')) as Record<string, unknown>;
  config.id2label = { 0: 'LABEL_0', 1: 'LABEL_1' };
  config.label2id = { LABEL_0: 0, LABEL_1: 1 };
  await writeFile(join(two, 'config.json'), JSON.stringify(config));
  const st = await readSafetensors(join(SHARED, 'fixtures', 'tiny-bert-ce', 'model.safetensors'));
  const tensors = new Map([...st.tensors].map(([n, t]) => [n, { dtype: 'F32' as const, shape: [...t.shape], data: t.data as Float32Array }]));
  const w = tensors.get('classifier.weight');
  if (!w) throw new Error('fixture: no classifier.weight');
  tensors.set('classifier.weight', { dtype: 'F32', shape: [2, w.shape[1] as number], data: Float32Array.from([...w.data, ...w.data]) });
  tensors.set('classifier.bias', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
  await writeSafetensors(join(two, 'model.safetensors'), tensors, { format: 'pt' });
  await copyFile(join(SHARED, 'data', 'bert-base-uncased-wordpiece', 'bert-vocab.txt'), join(two, 'vocab.txt'));
  await expect(train(toyTrainOptions(dir, 'two', { initFrom: join(dir, 'teacher'), teacherModel: two, teacher: 0.5 }))).rejects.toThrow(/--teacher-model .*two-labels: the teacher needs a head with one output \(it has 2\)/);
}, 300_000);
