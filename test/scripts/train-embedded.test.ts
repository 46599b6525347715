/**
 * scripts/train-embedded.sh is the embedded model's recipe: its five training commands, read by the
 * trainer's own parser, give the options each committed training log records (stage 1–4's logs in
 * weights/celens-ce-tiny/stage4/, stage 5's beside the model), for every option that changes the
 * weights. Paths and bookkeeping (where the output, checkpoints and logs go, how often) may differ.
 * And the initialisation of stage 5 reads stage 4's word embeddings with the memory's size the
 * model has, and the script trains on the WebAssembly matMul kernel that made the committed bytes.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseTrainArgs } from '../../scripts/train-cross-encoder.js';

const run = promisify(execFile);
const MODEL = 'weights/celens-ce-tiny';
/** Options that do not change a run's weights: where things go and how often they are written. */
const BOOKKEEPING = new Set(['data', 'out', 'checkpoints', 'initFrom', 'checkpointEvery', 'logEvery', 'keepEvery', 'stopAfter']);
/** Options older logs lack, with the value their runs had (stage 1 predates --threads and --objective). */
const BEFORE_THEY_EXISTED: Record<string, unknown> = { threads: 1, objective: 'rank' };

/** The script's dry run (DRY_RUN=1: one line per command, the script's name first), read once. */
let dryRun: string[][] = [];
beforeAll(async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, DRY_RUN: '1', OUT: '/tmp/celens-embedded-dry' };
  delete env.CELENS_NATIVE;
  const { stdout } = await run('bash', ['scripts/train-embedded.sh'], { env });
  dryRun = stdout.trim().split('\n').map((l) => l.split(' '));
});
const commands = (): string[][] => dryRun;

async function logOptions(file: string): Promise<Record<string, unknown>> {
  return (JSON.parse(await readFile(join(MODEL, file), 'utf8')) as { options: Record<string, unknown> }).options;
}

/** A --freeze-rows entry as tensor name and the file's name (its folder is a path, bookkeeping). */
const rowsFile = (v: unknown): unknown => (Array.isArray(v) ? v.map((e) => String(e).replace(/=.*\//, '=')) : v);

test.each([
  [1, 'stage4/training_log.stage1.json'],
  [2, 'stage4/training_log.stage2.json'],
  [3, 'stage4/training_log.stage3-mlm.json'],
  [4, 'stage4/training_log.json'],
  [5, 'training_log.json'],
])('stage %i: the script\'s command gives the options of %s', async (stage, file) => {
  const trains = commands().filter((c) => c[0] === 'train-cross-encoder.js');
  expect(trains).toHaveLength(5);
  const parsed = (await parseTrainArgs((trains[stage - 1] as string[]).slice(1))) as unknown as Record<string, unknown>;
  const logged = await logOptions(file);
  for (const k of new Set([...Object.keys(parsed), ...Object.keys(logged)])) {
    if (BOOKKEEPING.has(k)) continue;
    const want = k in logged ? logged[k] : BEFORE_THEY_EXISTED[k];
    expect([k, rowsFile(parsed[k])]).toEqual([k, rowsFile(want)]);
  }
});

test('stage 5 starts from an initialisation built on stage 4, with the memory the model has', async () => {
  const all = commands();
  const init = all.find((c) => c[0] === 'idf-memory-init.js') as string[];
  const arg = (name: string): string | undefined => init[init.indexOf(name) + 1];
  expect(arg('--words')).toBe(`${MODEL}/stage4`);
  const memory = (await readFile(join(MODEL, 'memory-tokens.txt'), 'utf8')).split('\n').filter((l) => l !== '');
  expect(Number(arg('--m'))).toBe(memory.length);
  const config = JSON.parse(await readFile(join(MODEL, 'config.json'), 'utf8')) as { intermediate_size: number };
  expect(Number(arg('--ffn'))).toBe(config.intermediate_size);
  // Stage 5 trains from that folder and freezes the rows of its memory tokens.
  const stage5 = all.filter((c) => c[0] === 'train-cross-encoder.js')[4] as string[];
  expect(stage5[stage5.indexOf('--init-from') + 1]).toBe(init[1]);
  expect(stage5[stage5.indexOf('--freeze-rows') + 1]).toBe(`bert.embeddings.word_embeddings.weight=${init[1]}/memory-tokens.txt`);
});

test('the script trains on the WebAssembly matMul kernel unless told otherwise (the committed bytes came from it)', () => {
  expect(commands()).toContainEqual(['CELENS_NATIVE=0']);
});
