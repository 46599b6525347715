/**
 * Completeness relative to |F(x) − F(x′)|: next to the absolute error in the results, the JSONL
 * records and the safetensors output; `attribute` warns, counted over pairs, when a layer's
 * attributions miss the change by more than 10%; the defaults (50 trapezoid points) do not on the
 * fixture, the authors' right rule at a few points does.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completenessWarning } from '../../src/cli/attribute-print.js';
import { checkRecord, fromRecord } from '../../src/jobs/records.js';
import type { PairRecord } from '../../src/jobs/records.js';
import type { PairAttribution } from '../../src/attribution/summary.js';
import { readSafetensors } from '../../src/weights/safetensors.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_DIR } from '../helpers/fixture.js';

const IN = join(FIXTURE_DIR, 'reference.safetensors');

interface Line {
  options?: { steps?: number; rule?: string };
  target?: { input: number; baseline: number };
  completeness?: Array<number | null>;
  completeness_relative?: Array<number | null>;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-attribute-completeness-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const lines = async (file: string): Promise<Line[]> => (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('completenessWarning', () => {
  const pair = (rel: number[]): PairAttribution => ({
    segments: { length: 4, cls: 0, query: [1, 2], sep1: 2, passage: [3, 3], sep2: 3 },
    sum: new Map(),
    bySegment: new Map(),
    targetInput: 1,
    targetBaseline: 0,
    completeness: Float64Array.from(rel),
    completenessRelative: Float64Array.from(rel),
  });

  test('counts the pairs with some layer beyond 10% (either sign), names the worst, ignores NaN and missing pairs', () => {
    const results = [pair([0.05, -0.02]), pair([0.02, -0.31]), undefined, pair([NaN, 0.12]), pair([NaN, NaN])];
    const w = completenessWarning(results, ['a', 'b', 'c', 'd', 'e']);
    expect(w).toMatch(/^warning: on 2 of 4 pairs .* by more than 10\.0% of it \(worst 31\.0%: layer 1, pair b\)/);
    expect(completenessWarning([pair([0.1, -0.1]), pair([0.001, NaN])], ['a', 'b'])).toBeUndefined();
    expect(completenessWarning([pair([0.06])], ['a'], 0.05)).toMatch(/on 1 of 1 pairs .* more than 5\.0%/);
  });
});

describe('records', () => {
  const base = { index: 0, length: 4, segments: { length: 4, cls: 0, query: [1, 2], sep1: 2, passage: [3, 3], sep2: 3 }, target: { input: 2, baseline: -2 }, sum: {}, segments_sum: {} };

  test('a journal from before completeness_relative reads as unknown (NaN); a malformed one is refused', () => {
    const old = checkRecord({ ...base, completeness: [0.4, null] }, 1, 'f.jsonl', 2);
    expect(Array.from(fromRecord(old).completenessRelative)).toEqual([NaN, NaN]);
    const now = checkRecord({ ...base, completeness: [0.4, null], completeness_relative: [0.1, null] }, 1, 'f.jsonl', 2);
    expect(Array.from(fromRecord(now as PairRecord).completenessRelative)).toEqual([0.1, NaN]);
    expect(() => checkRecord({ ...base, completeness: [0.4, null], completeness_relative: [0.1] }, 1, 'f.jsonl', 2)).toThrow(/f\.jsonl:2: not a celens attribution record: bad completeness_relative/);
    expect(() => checkRecord({ ...base, completeness: [0.4], completeness_relative: ['x'] }, 1, 'f.jsonl', 2)).toThrow(/bad completeness_relative/);
  });
});

describe('celens attribute', () => {
  test('the defaults: 50 trapezoid points in the header, relative error next to the absolute one, no warning', async () => {
    const out = join(dir, 'default.jsonl');
    const r = await runCli(['attribute', FIXTURE_DIR, '--inputs', IN, '--site', 'out', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const [header, ...records] = await lines(out);
    expect(header?.options).toMatchObject({ steps: 50, rule: 'trapezoid' });
    expect(records).toHaveLength(4);
    for (const rec of records) {
      const change = Math.abs((rec.target?.input as number) - (rec.target?.baseline as number));
      (rec.completeness as number[]).forEach((c, l) => {
        const rel = rec.completeness_relative?.[l] as number;
        expect(Math.abs(rel - c / change)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(rel)));
        expect(Math.abs(rel)).toBeLessThan(0.01);
      });
    }
  }, 120_000);

  test("the authors' right rule at 4 points: a counted warning on stderr; the printed summary and the safetensors output carry the relative error", async () => {
    const args = ['attribute', FIXTURE_DIR, '--inputs', IN, '--site', 'out', '--rule', 'right', '--steps', '4'];
    const out = join(dir, 'right4.safetensors');
    const r = await runCli([...args, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/celens: warning: on [1-4] of 4 pairs the attributions on some layer\.\{l\}\.out miss F\(x\) − F\(x′\) by more than 10\.0% of it \(worst \d+\.\d%: layer \d, pair \d\)/);
    expect(r.stderr.match(/warning/g)).toHaveLength(1);
    const { tensors } = await readSafetensors(out);
    const input = tensors.get('target.input')?.data as Float32Array;
    const baseline = tensors.get('target.baseline')?.data as Float32Array;
    for (let l = 0; l < 3; l++) {
      const abs = tensors.get(`completeness.layer.${l}`)?.data as Float32Array;
      const rel = tensors.get(`completeness_relative.layer.${l}`)?.data as Float32Array;
      expect(rel).toHaveLength(4);
      rel.forEach((v, i) => expect(Math.abs(v - (abs[i] as number) / Math.abs((input[i] as number) - (baseline[i] as number)))).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    }
    const printed = await runCli(args);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/completeness error \(Σ attributions on layer\.\{l\}\.out − change; relative to \|change\|\): L0 [-\d.e+]+ \([-\d.e]+%\)/);
    expect(printed.stderr).toMatch(/celens: warning: on [1-4] of 4 pairs/);
  }, 120_000);
});
