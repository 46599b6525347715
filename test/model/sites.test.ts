/**
 * One vocabulary: sites, masks, rankings, magnitudes and reports name units the same way, through
 * one parser (model/sites.ts). Spellings accepted before stay accepted.
 */
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { SiteError } from '../../src/errors.js';
import { matchSiteName, nameTemplate, parseSite, parseSiteName, resolveSites, SITE_KINDS, templateKind, unitOf } from '../../src/model/sites.js';
import { MASK_TARGET_KINDS, parseMasks } from '../../src/model/masks.js';
import { parseUnitScores } from '../../src/pruning/ranking.js';
import { parseMagnitudes } from '../../src/analysis/magnitudes.js';
import { readNeuronSetInput } from '../../src/report/inputs.js';
import { parseConfig } from '../../src/weights/config.js';

const config = parseConfig({ model_type: 'bert', hidden_size: 8, num_attention_heads: 2, num_hidden_layers: 2, intermediate_size: 3, vocab_size: 10 });

describe('parseSiteName', () => {
  test.each([
    ['embeddings', { kind: 'embeddings' }],
    ['pooler', { kind: 'pooler' }],
    ['logits', { kind: 'logits' }],
    ['layer.0.attn.probs', { kind: 'attn.probs', layer: 0 }],
    ['layer.1.attn.out', { kind: 'attn.out', layer: 1 }],
    ['layer.1.ffn.pre', { kind: 'ffn.pre', layer: 1 }],
    ['layer.0.ffn.post', { kind: 'ffn.post', layer: 0 }],
    ['layer.1.out', { kind: 'out', layer: 1 }],
  ])('site %s', (name, expected) => {
    expect(parseSiteName(name, { config })).toEqual({ ...expected, name });
    expect(parseSite(name, config)).toEqual({ ...expected, name });
  });

  test.each([
    ['layer.0.ffn', 'ffn', 'neurons'],
    ['layer.0.ffn.pre', 'ffn.pre', 'neurons'],
    ['layer.0.ffn.post', 'ffn.post', 'neurons'],
    ['layer.1.attn.heads', 'attn.heads', 'heads'],
    ['layer.1', 'layer', undefined],
    ['layer.1.out', 'out', undefined],
  ])('unit name %s', (name, kind, unit) => {
    expect(matchSiteName(name)).toEqual({ kind, layer: name.startsWith('layer.1') ? 1 : 0, name });
    expect(unitOf(kind as Parameters<typeof unitOf>[0])).toBe(unit);
  });

  test.each(['layer.01.out', 'layer.-1.out', 'Layer.0.out', 'layer.0.ffn.psot', 'layer.0.', 'layer.0.out.x', 'layer..out', 'layer.x.ffn', 'embedding', ' layer.0.out', 'layer.1e3.out', ''])('%j is not a name', (name) => {
    expect(matchSiteName(name)).toBeUndefined();
    expect(() => parseSiteName(name)).toThrow(SiteError);
  });

  test('messages list what is accepted, say what the name is and where it was read', () => {
    expect(() => parseSiteName('layer.0.ffn.psot')).toThrow("unknown site 'layer.0.ffn.psot' (sites: embeddings, layer.{l}.attn.probs, layer.{l}.attn.out, layer.{l}.ffn.pre, layer.{l}.ffn.post, layer.{l}.out, pooler, logits)");
    expect(() => parseSiteName('layer.0.ffn', { config })).toThrow(SiteError); // a unit group, not a site
    expect(() => parseSiteName('layer.2.out', { config })).toThrow("site 'layer.2.out': layer 2 does not exist (the model has layers 0…1)");
    expect(() => parseSiteName('layer.1000.out')).toThrow("site 'layer.1000.out': layer 1000 does not exist (models have at most 1000 layers)");
    expect(() => parseSiteName('layer.0.mlp', { accept: MASK_TARGET_KINDS, what: 'mask target', place: { file: 'm.json', line: 3 } })).toThrow(
      "m.json:3: unknown mask target 'layer.0.mlp' (targets: layer.{l}.ffn, layer.{l}.attn.heads, layer.{l}.ffn.pre, layer.{l}.ffn.post)",
    );
    expect(SITE_KINDS.map(nameTemplate)).toEqual(['embeddings', 'layer.{l}.attn.probs', 'layer.{l}.attn.out', 'layer.{l}.ffn.pre', 'layer.{l}.ffn.post', 'layer.{l}.out', 'pooler', 'logits']);
  });

  test('templates and globs', () => {
    expect(templateKind('layer.{l}.ffn.pre')).toBe('ffn.pre');
    expect(templateKind('layer.{l}.attn.heads')).toBe('attn.heads');
    expect(templateKind('layer.{l}.mlp')).toBeUndefined();
    expect(templateKind('ffn.pre')).toBeUndefined();
    expect(resolveSites(['layer.*.attn.out', 'embeddings', 'layer.1.ffn.pre'], config)).toEqual(['embeddings', 'layer.0.attn.out', 'layer.1.attn.out', 'layer.1.ffn.pre']);
    expect(resolveSites(['layer.*.out'], config)).toEqual(['layer.0.out', 'layer.1.out']); // `*` is one part: not attn.out
  });
});

describe('every reader of unit names goes through the parser', () => {
  test('masks: layer.{l}.ffn.pre and .ffn.post name the same neurons as layer.{l}.ffn', () => {
    const old = parseMasks({ 'layer.0.ffn': [1], 'layer.1.attn.heads': [0] }, config);
    expect(parseMasks({ 'layer.0.ffn.post': [1], 'layer.1.attn.heads': [0] }, config)).toEqual(old);
    expect(parseMasks({ 'layer.0.ffn.pre': [1], 'layer.1.attn.heads': [0] }, config)).toEqual(old);
    expect(parseMasks({ 'layer.0.ffn.pre': [2], 'layer.0.ffn': [0] }, config)[0]?.ffn).toEqual([0, 2]);
    expect(() => parseMasks({ 'layer.0.ffn.pre': [3] }, config, 'm.json')).toThrow("m.json: 'layer.0.ffn.pre': index 3 is out of range 0…2");
    expect(() => parseMasks({ 'layer.2.ffn': [0] }, config, 'm.json')).toThrow("m.json: mask target 'layer.2.ffn': layer 2 does not exist (the model has layers 0…1)");
    expect(() => parseMasks({ 'layer.0.out': [0] }, config, 'm.json')).toThrow(/^m\.json: unknown mask target 'layer\.0\.out'/);
  });

  test('neuron sets in reports: the same keys; head entries are skipped; far-away layers are refused, not allocated', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'celens-sites-'));
    const f = join(dir, 'set.json');
    await writeFile(f, JSON.stringify({ 'layer.0.ffn': [2], 'layer.1.ffn.post': [0], 'layer.2.ffn.pre': [1], 'layer.1.attn.heads': [0] }));
    expect((await readNeuronSetInput(f)).layers).toEqual([[2], [0], [1]]);
    await writeFile(f, '{\n "layer.999999999.ffn": [1]\n}\n');
    await expect(readNeuronSetInput(f)).rejects.toThrow(`${f}:2: mask target 'layer.999999999.ffn': layer 999999999 does not exist (models have at most 1000 layers)`);
  });

  test('rankings and magnitudes: layer.{l} keys, site templates', () => {
    const s = parseUnitScores({ site: 'layer.{l}.ffn.pre', values: { 'layer.0': [1, 2, 3], 'layer.1': [4, 5, 6] } }, config);
    expect(s.unit).toBe('neurons');
    expect(parseUnitScores({ site: 'layer.{l}.attn.heads', values: { 'layer.0': [1, 2], 'layer.1': [4, 5] } }, config).unit).toBe('heads');
    expect(() => parseUnitScores({ site: 'layer.{l}.attn.out', values: {} }, config, 'r.json')).toThrow('r.json: "site" must be one of layer.{l}.ffn.pre, layer.{l}.ffn.post, layer.{l}.attn.heads (found "layer.{l}.attn.out")');
    const m = parseMagnitudes({ 'layer.0': [1, 2], 'layer.1': [3, 4], 'layer.1.ffn': 'meta', site: 'ffn.post' }, [2, 2], 'm.json');
    expect(m.meta).toEqual({ 'layer.1.ffn': 'meta', site: 'ffn.post' });
  });

  test('no module but model/sites.ts parses layer names with a regex of its own', async () => {
    const src = join(process.cwd(), 'src');
    const files: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
      }
    };
    await walk(src);
    const offenders: string[] = [];
    for (const f of files) {
      const rel = relative(src, f);
      if (rel === join('model', 'sites.ts')) continue;
      // The explorer's page runs in the browser and may load only its own folder, so it cannot import
      // model/sites.ts; it reads a loaded mask file for display, and the server parses every mask it
      // is sent with parseMasks (test/cli/serve.test.ts).
      if (rel.startsWith(join('serve', 'page'))) continue;
      const text = await readFile(f, 'utf8');
      // A regex literal that matches `layer.<digits>` (how every reader used to parse names).
      if (/\/\^?layer\\\.\(/.test(text)) offenders.push(rel);
    }
    expect(offenders).toEqual([]);
  });
});
