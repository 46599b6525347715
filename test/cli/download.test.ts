/**
 * `celens download` end to end against a stand-in Hub on 127.0.0.1: an interrupted download is
 * resumed by the next run with a Range request, then every MODEL argument takes the hub id.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { COMMIT_A, tinyRepo } from '../helpers/hub-repos.js';
import { sha256, startHubServer } from '../helpers/hub-server.js';
import type { HubServer, ServedRepo } from '../helpers/hub-server.js';

const ID = 'celens-test/tiny-ce';
let hub: HubServer;
let repo: ServedRepo;
let cache: string;
let snapshot: string;
const savedCache = process.env['HF_HUB_CACHE'];

beforeAll(async () => {
  repo = tinyRepo(ID);
  hub = await startHubServer([repo]);
  cache = await mkdtemp(join(tmpdir(), 'celens-cli-hub-'));
  snapshot = join(cache, 'models--celens-test--tiny-ce', 'snapshots', COMMIT_A);
});
afterAll(async () => {
  await hub.close();
  await rm(cache, { recursive: true, force: true });
});
afterEach(() => {
  if (savedCache === undefined) delete process.env['HF_HUB_CACHE'];
  else process.env['HF_HUB_CACHE'] = savedCache;
});

describe('celens download', () => {
  test('a dropped connection leaves a partial file; the next run resumes it with Range and ends byte-identical', async () => {
    const weights = repo.files['model.safetensors'] as Buffer;
    const part = join(cache, 'models--celens-test--tiny-ce', 'blobs', `${sha256(weights)}.incomplete`);
    const onDisk = async (end: number): Promise<boolean> => ((await stat(part).catch(() => undefined))?.size ?? 0) >= end;
    hub.fault(ID, 'model.safetensors', { kind: 'drop', after: 1_000_000, until: onDisk });
    const args = ['download', ID, '--cache-dir', cache, '--hub-url', hub.url];

    const first = await runCli([...args, '--retries', '0']);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /^celens: celens-test\/tiny-ce\/model\.safetensors: download stopped at 1000000 of 4036860 bytes after 1 try \(.+\); run the command again to resume\n$/,
    );
    expect((await stat(part)).size).toBe(1_000_000);

    hub.requests.length = 0;
    const second = await runCli(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`${snapshot}\n`);
    expect(second.stderr).toContain(`celens: ${ID}@${COMMIT_A}: 1 of 6 files downloaded (4036860 bytes), resumed model.safetensors from byte 1000000`);
    expect(hub.requests.filter((q) => q.path.startsWith('/cdn/')).map((q) => q.range)).toEqual(['bytes=0-0', 'bytes=1000000-']);
    expect((await readFile(join(snapshot, 'model.safetensors'))).equals(weights)).toBe(true);
  });

  test('rejects a bad --retries', async () => {
    const r = await runCli(['download', ID, '--retries', '-1', '--hub-url', hub.url, '--cache-dir', cache]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('celens: --retries must be a whole number from 0 to 20\n');
  });
});

describe('hub ids as MODEL', () => {
  beforeAll(async () => {
    const r = await runCli(['download', ID, '--cache-dir', cache, '--hub-url', hub.url]);
    expect(r.code).toBe(0);
  });

  test('inspect loads a downloaded id from --cache-dir or $HF_HUB_CACHE, without the network', async () => {
    const before = hub.requests.length;
    const r = await runCli(['inspect', ID, '--cache-dir', cache, '--json', '--backend', 'cpu']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { source: string; config: { layers: number } }).source).toBe(snapshot);
    process.env['HF_HUB_CACHE'] = cache;
    const viaEnv = await runCli(['inspect', ID, '--revision', 'main', '--backend', 'cpu']);
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toContain(`model      ${snapshot}`);
    expect(hub.requests.length).toBe(before);
  });

  test('score and tokenize read the tokenizer from the cached snapshot', async () => {
    const s = await runCli(['score', ID, '--cache-dir', cache, '--query', 'what is a cat', '--passage', 'a cat is an animal', '--backend', 'cpu']);
    expect(s.code).toBe(0);
    expect(Number.isFinite(Number(s.stdout.trim()))).toBe(true);
    const pairs = join(cache, 'pairs.tsv');
    await writeFile(pairs, 'what is a cat\ta cat is an animal\n');
    const t = await runCli(['tokenize', ID, '--cache-dir', cache, '--pairs', pairs]);
    expect(t.code).toBe(0);
    expect((JSON.parse(t.stdout) as { input_ids: number[] }).input_ids[0]).toBe(101);
  });

  test('an id that was never downloaded gives the offline message', async () => {
    process.env['HF_HUB_CACHE'] = cache;
    const r = await runCli(['inspect', 'celens-test/not-downloaded']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `celens: model 'celens-test/not-downloaded' is not a folder and is not in the Hugging Face cache (${cache}); run: celens download celens-test/not-downloaded\n`,
    );
  });
});
