/**
 * The public API: the root export list is the curated one below (a change to it is a decision,
 * made here), every name the README's Library section imports exists in the entry point it names,
 * and the runtime exports are the value names of src/index.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = process.cwd();

/** Names exported by an index file made of `export { … } from`, `export type { … } from` and `export * from` lines. */
function exportedNames(file: string): { values: string[]; types: string[] } {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const values: string[] = [];
  const types: string[] = [];
  for (const m of text.matchAll(/^export\s+(type\s+)?\{([^}]*)\}\s+from\s+'[^']+';/gm)) {
    const names = (m[2] as string).split(',').map((s) => s.trim().split(/\s+as\s+/).pop() as string).filter(Boolean);
    (m[1] ? types : values).push(...names);
  }
  for (const m of text.matchAll(/^export\s+\*\s+from\s+'([^']+)\.js';/gm)) {
    const inner = exportedNames(join(dirname(file), `${m[1] as string}.ts`));
    values.push(...inner.values);
    types.push(...inner.types);
  }
  return { values, types };
}

const ENTRY: Record<string, string> = { celens: 'src/index.ts', 'celens/ir': 'src/ir/index.ts', 'celens/analysis': 'src/analysis/index.ts' };

const ROOT_VALUES = [
  // backend, model, hub
  'selectBackend', 'nativeStatus', 'useNative', 'loadModel', 'disposeModel', 'downloadModel', 'resolveModel',
  // tokenize and run
  'loadTokenizer', 'padBatch', 'toInputs', 'disposeInputs', 'runModel', 'disposeRun',
  // sites and masks
  'SITE_KINDS', 'layerSite', 'parseSiteName', 'resolveSites', 'parseMasks', 'readMasks',
  // score
  'relevanceScores', 'SCORE_DEFAULTS', 'makeScorer',
  // attribute
  'attribute', 'attributeStream', 'ATTRIBUTE_DEFAULTS', 'runAttributeJob',
  // aggregate
  'aggregateFiles', 'buildNeuronSets', 'pickLayerNeurons',
  // evaluate and rerank
  'loadCollection', 'evaluate', 'rerank',
  // prune
  'runSweep', 'SWEEP_DEFAULTS', 'summarizeSweep', 'readUnitScores', 'exportPruned',
  // report
  'writeReport',
  // errors
  'CelensError', 'BackendError', 'ConfigError', 'SafetensorsError', 'ShapeError', 'SiteError', 'TokenizerError', 'TrecFormatError', 'UsageError', 'WeightsError', 'HubError',
];

const ROOT_TYPES = [
  'BackendName', 'NativeIsa', 'LoadedModel', 'BertConfig', 'DownloadModelParams', 'DownloadedModel',
  'PairTokenizer', 'PairEncoding', 'TokenBatch', 'BertInputs', 'RunOptions', 'RunResult', 'SiteIntervention',
  'SiteName', 'Masks', 'Activation', 'ScoreOptions', 'ScorerOptions',
  'AttributeOptions', 'PairAttribution', 'AttributeJob', 'JobResult',
  'AggregateOptions', 'Aggregation', 'LayerNeurons', 'LayerNeuronsOptions', 'NeuronSet', 'NeuronSetsOptions',
  'Collection', 'EvaluateOptions', 'Evaluation', 'PairScorer', 'RerankOptions', 'RerankResult',
  'SweepOptions', 'SweepResult', 'SweepSummary', 'SweepSummaryOptions', 'UnitScores', 'ExportOptions', 'ExportResult',
  'ReportOptions', 'WrittenReport', 'ErrorPlace',
];

test('the root exports the curated names, no more, no fewer', () => {
  const { values, types } = exportedNames('src/index.ts');
  expect([...values].sort()).toEqual([...ROOT_VALUES].sort());
  expect([...types].sort()).toEqual([...ROOT_TYPES].sort());
});

test("the root's runtime exports are its value names (nothing comes in through export *)", async () => {
  const api = (await import('../../src/index.js')) as Record<string, unknown>;
  expect(Object.keys(api).sort()).toEqual([...ROOT_VALUES].sort());
  for (const n of ROOT_VALUES) expect(api[n]).toBeDefined();
});

test("every name the README's Library section imports is exported by the entry point it imports from", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const imports = [...section.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'(celens[^']*)'/g)];
  expect(imports.length).toBeGreaterThan(0);
  const missing: string[] = [];
  for (const m of imports) {
    const entry = ENTRY[m[3] as string];
    if (entry === undefined) {
      missing.push(`${m[3]} (no such entry point)`);
      continue;
    }
    const { values, types } = exportedNames(entry);
    const known = m[1] ? new Set([...values, ...types]) : new Set(values);
    for (const name of (m[2] as string).split(',').map((s) => s.trim().replace(/^type\s+/, '')).filter(Boolean)) {
      if (!known.has(name)) missing.push(`${name} from ${m[3]}`);
    }
  }
  expect(missing).toEqual([]);
});
