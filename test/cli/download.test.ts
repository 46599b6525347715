/**
 * `celens download` end to end against a stand-in Hub on 127.0.0.1: an interrupted download is
 * resumed by the next run with a Range request, then every MODEL argument takes the hub id.
 * Gated models take a token (--token, HF_TOKEN, $HF_HOME/token) that only the hub's origin sees;
 * bare legacy ids and HF_ENDPOINT work as huggingface_hub has them.
 */
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { COMMIT_A, TINY, tinyRepo } from '../helpers/hub-repos.js';
import { sha256, startHubServer } from '../helpers/hub-server.js';
import type { HubServer, ServedRepo } from '../helpers/hub-server.js';

const ID = 'celens-test/tiny-ce';
let hub: HubServer;
let repo: ServedRepo;
let cache: string;
let snapshot: string;
const ENV = ['HF_HUB_CACHE', 'HF_HOME', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_ENDPOINT'] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

/** Every test starts without this machine's token (HF_TOKEN, `hf auth login`'s file) or endpoint. */
function baseline(): void {
  for (const k of ENV) delete process.env[k];
  process.env['HF_TOKEN_PATH'] = join(cache, 'no-token-here');
}

beforeAll(async () => {
  repo = tinyRepo(ID);
  hub = await startHubServer([repo]);
  cache = await mkdtemp(join(tmpdir(), 'celens-cli-hub-'));
  snapshot = join(cache, 'models--celens-test--tiny-ce', 'snapshots', COMMIT_A);
  baseline();
});
afterAll(async () => {
  await hub.close();
  await rm(cache, { recursive: true, force: true });
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});
afterEach(baseline);

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

describe('gated models: tokens', () => {
  const GATED = 'celens-test/gated-ce';
  const TOKEN = 'hf_celensTestToken0123456789';
  let gated: HubServer;
  const weights = (): Buffer => tinyRepo(GATED).files['model.safetensors'] as Buffer;
  const args = async (...more: string[]): Promise<string[]> => ['download', GATED, '--cache-dir', await mkdtemp(join(cache, 'gated-')), '--hub-url', gated.url, ...more];

  beforeAll(async () => {
    // LFS files redirect to http://localhost:<other port>: another origin, as the Hub's CDN is.
    gated = await startHubServer([{ ...tinyRepo(GATED), token: TOKEN }], { cdnOnOtherHost: true });
  });
  afterAll(async () => gated.close());
  beforeEach(() => {
    gated.requests.length = 0;
  });

  test('without a token the hub answers 401 and the message says the model may be gated: set HF_TOKEN or --token', async () => {
    const r = await runCli(await args('--retries', '0'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `celens: ${GATED}@main: the hub answered 401 to ${gated.url}/api/models/${GATED}/revision/main ` +
        `(Access to model ${GATED} is restricted. You must be authenticated to access it.); the model may be gated or private (or not exist): set HF_TOKEN or pass --token\n`,
    );
    expect(gated.requests.map((q) => q.authorization)).toEqual([undefined]);
  });

  test('--token: every request to the hub carries it, the CDN on another host never sees it', async () => {
    const a = await args('--token', TOKEN);
    const r = await runCli(a);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${join(a[3] as string, 'models--celens-test--gated-ce', 'snapshots', COMMIT_A)}\n`);
    expect((await readFile(join(r.stdout.trim(), 'model.safetensors'))).equals(weights())).toBe(true);
    const hubHost = new URL(gated.url).host;
    const cdnHost = new URL(gated.cdnUrl).host;
    expect(cdnHost).toMatch(/^localhost:\d+$/);
    expect(cdnHost).not.toBe(hubHost);
    const toHub = gated.requests.filter((q) => q.host === hubHost);
    expect(toHub.filter((q) => q.path.startsWith('/api/')).length).toBe(2);
    expect(toHub.every((q) => q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    // The resolve probe and the download each follow the 302 to the CDN: both hops arrive bare.
    expect(gated.requests.filter((q) => q.host === cdnHost).map((q) => [q.path, q.range, q.authorization])).toEqual([
      [`/cdn/${sha256(weights())}`, 'bytes=0-0', undefined],
      [`/cdn/${sha256(weights())}`, undefined, undefined],
    ]);
    expect(gated.requests.length).toBe(toHub.length + 2);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  });

  test('HF_TOKEN is sent; a token without access gets 403 and a message that does not print it', async () => {
    process.env['HF_TOKEN'] = 'hf_someoneElsesToken';
    const bad = await runCli(await args('--retries', '0'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      `celens: ${GATED}@main: the hub answered 403 to ${gated.url}/api/models/${GATED}/revision/main ` +
        `(Access to model ${GATED} is restricted and you are not in the authorized list.); the token has no access to this model: accept its terms on its Hub page with the token's account, or use another token\n`,
    );
    expect(gated.requests.map((q) => q.authorization)).toEqual(['Bearer hf_someoneElsesToken']);
    expect(bad.stderr).not.toContain('someoneElses');
    process.env['HF_TOKEN'] = TOKEN;
    expect((await runCli(await args())).code).toBe(0);
  });

  test('the token file $HF_HOME/token is read when HF_TOKEN is unset; HF_TOKEN wins over it, --token over both', async () => {
    const home = await mkdtemp(join(cache, 'hf-home-'));
    await writeFile(join(home, 'token'), `${TOKEN}\n`);
    delete process.env['HF_TOKEN_PATH'];
    process.env['HF_HOME'] = home;
    const viaFile = await runCli(await args());
    expect(viaFile.code).toBe(0);
    expect(gated.requests.every((q) => q.host !== new URL(gated.url).host || q.authorization === `Bearer ${TOKEN}`)).toBe(true);
    process.env['HF_TOKEN'] = 'hf_wrong';
    const envWins = await runCli(await args('--retries', '0'));
    expect(envWins.code).toBe(1);
    expect(envWins.stderr).toContain('the hub answered 403');
    expect((await runCli(await args('--token', TOKEN))).code).toBe(0);
  });

  test('--token with no value is refused rather than falling back', async () => {
    const r = await runCli(await args('--token'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('celens: --token needs a value (or leave it out to use $HF_TOKEN or $HF_HOME/token)\n');
    expect(gated.requests).toEqual([]);
  });
});

describe('bare hub ids (legacy canonical models such as bert-base-uncased)', () => {
  const BARE = 'tiny-bare-ce';
  let bare: HubServer;
  beforeAll(async () => {
    bare = await startHubServer([tinyRepo(BARE)]);
  });
  afterAll(async () => bare.close());

  test('download into models--<name>, as huggingface_hub names it; MODEL takes the bare id; a folder of that name wins', async () => {
    const r = await runCli(['download', BARE, '--cache-dir', cache, '--hub-url', bare.url]);
    expect(r.code).toBe(0);
    const snap = join(cache, `models--${BARE}`, 'snapshots', COMMIT_A);
    expect(r.stdout).toBe(`${snap}\n`);
    expect(bare.requests.slice(0, 2).map((q) => q.path)).toEqual([`/api/models/${BARE}/revision/main`, `/api/models/${BARE}/tree/${COMMIT_A}`]);
    const source = async (): Promise<string> => {
      const i = await runCli(['inspect', BARE, '--cache-dir', cache, '--json', '--backend', 'cpu']);
      expect(i.code).toBe(0);
      return (JSON.parse(i.stdout) as { source: string }).source;
    };
    expect(await source()).toBe(snap);
    const cwd = process.cwd();
    const work = await mkdtemp(join(cache, 'cwd-'));
    await symlink(TINY, join(work, BARE));
    try {
      process.chdir(work);
      expect(await source()).toBe(BARE);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a bare id that is neither a folder nor downloaded gives the offline message', async () => {
    const r = await runCli(['inspect', 'never-downloaded', '--cache-dir', cache]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `celens: model 'never-downloaded' is not a folder and is not in the Hugging Face cache (${cache}); run: celens download never-downloaded --cache-dir ${cache}\n`,
    );
  });
});

describe('HF_ENDPOINT', () => {
  test('download talks to $HF_ENDPOINT when --hub-url is not given; --hub-url wins over it', async () => {
    process.env['HF_ENDPOINT'] = `${hub.url}/`;
    hub.requests.length = 0;
    const other = await mkdtemp(join(cache, 'endpoint-'));
    const viaEnv = await runCli(['download', ID, '--cache-dir', other]);
    expect(viaEnv.code).toBe(0);
    expect(hub.requests.filter((q) => q.path.startsWith('/api/')).length).toBe(2);
    // A dead endpoint in the environment is not asked when --hub-url names a live one.
    const dead = await startHubServer([]);
    await dead.close();
    process.env['HF_ENDPOINT'] = dead.url;
    hub.requests.length = 0;
    const viaFlag = await runCli(['download', ID, '--cache-dir', await mkdtemp(join(cache, 'endpoint-')), '--hub-url', hub.url]);
    expect(viaFlag.code).toBe(0);
    expect(hub.requests.length).toBeGreaterThan(0);
    const viaDeadEnv = await runCli(['download', ID, '--cache-dir', await mkdtemp(join(cache, 'endpoint-')), '--retries', '0']);
    expect(viaDeadEnv.code).toBe(1);
    expect(viaDeadEnv.stderr).toMatch(new RegExp(`^celens: ${ID}@main: cannot reach the hub \\(fetch failed: .*ECONNREFUSED`));
  });

  test('an endpoint that is not an http(s) URL is refused, naming where it came from', async () => {
    process.env['HF_ENDPOINT'] = 'huggingface.co';
    const r = await runCli(['download', ID, '--cache-dir', cache]);
    expect(r.stderr).toBe(`celens: HF_ENDPOINT 'huggingface.co': not an http(s) URL\n`);
    const flag = await runCli(['download', ID, '--cache-dir', cache, '--hub-url', 'ftp://x']);
    expect(flag.stderr).toBe(`celens: --hub-url 'ftp://x': not an http(s) URL\n`);
  });
});
