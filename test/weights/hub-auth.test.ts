/**
 * Where the Hub token comes from (huggingface_hub's `get_token` order) and who is sent it:
 * `hubFetch` adds it for the hub's origin only and drops any Authorization on a hop to another
 * origin, checked against two real local servers (127.0.0.1 and localhost, different ports).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '../../src/weights/hub/errors.js';
import { hubFetch, hubToken, hubTokenPath } from '../../src/weights/hub/auth.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'celens-auth-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('hubToken', () => {
  test('the token file path: HF_TOKEN_PATH, else HF_HOME/token, else XDG_CACHE_HOME or ~/.cache + huggingface/token', () => {
    expect(hubTokenPath({})).toBe(join(homedir(), '.cache', 'huggingface', 'token'));
    expect(hubTokenPath({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/huggingface/token');
    expect(hubTokenPath({ XDG_CACHE_HOME: '/xdg', HF_HOME: '/hf' })).toBe('/hf/token');
    expect(hubTokenPath({ HF_HOME: '/hf', HF_TOKEN_PATH: '/elsewhere/tok' })).toBe('/elsewhere/tok');
  });

  test('given > HF_TOKEN > HUGGING_FACE_HUB_TOKEN > token file; cleaned as _clean_token does', async () => {
    const home = join(dir, 'home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'token'), '  hf_file\r\n');
    const env = { HF_HOME: home };
    expect(await hubToken(undefined, env)).toBe('hf_file');
    expect(await hubToken(undefined, { ...env, HUGGING_FACE_HUB_TOKEN: 'hf_legacy' })).toBe('hf_legacy');
    expect(await hubToken(undefined, { ...env, HUGGING_FACE_HUB_TOKEN: 'hf_legacy', HF_TOKEN: 'hf_env\n' })).toBe('hf_env');
    expect(await hubToken('hf_given', { ...env, HF_TOKEN: 'hf_env' })).toBe('hf_given');
    // An empty variable is no token (huggingface_hub: `_clean_token('') is None`), so the file is read.
    expect(await hubToken(undefined, { ...env, HF_TOKEN: ' ' })).toBe('hf_file');
  });

  test('no token anywhere is anonymous; a token path that cannot be read is an error naming it', async () => {
    expect(await hubToken(undefined, { HF_HOME: join(dir, 'empty') })).toBeUndefined();
    const err = await hubToken(undefined, { HF_TOKEN_PATH: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).message).toBe(`${dir}: cannot read the Hugging Face token file (EISDIR)`);
  });
});

describe('hubFetch', () => {
  interface Seen {
    server: string;
    path: string;
    headers: IncomingHttpHeaders;
  }
  const seen: Seen[] = [];
  let hubUrl = '';
  let cdnUrl = '';
  const servers: Server[] = [];

  /** The hub: /same redirects within itself, /away to the other origin, /loop to itself forever. */
  beforeAll(async () => {
    const start = async (name: string, host: string, route: (path: string) => string | undefined): Promise<string> => {
      const server = createServer((req, res) => {
        seen.push({ server: name, path: req.url ?? '', headers: req.headers });
        const to = route(req.url ?? '');
        if (to !== undefined) res.writeHead(302, { Location: to }).end();
        else res.end('bytes');
      });
      await new Promise<void>((ok) => server.listen(0, host, ok));
      servers.push(server);
      return `http://${host}:${(server.address() as AddressInfo).port}`;
    };
    cdnUrl = await start('cdn', 'localhost', (p) => (p === '/back' ? `${hubUrl}/file` : undefined));
    hubUrl = await start('hub', '127.0.0.1', (p) =>
      p === '/same' ? '/file' : p === '/away' ? `${cdnUrl}/blob` : p === '/loop' ? '/loop' : p === '/round' ? `${cdnUrl}/back` : undefined,
    );
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  });
  beforeEach(() => {
    seen.length = 0;
  });
  const auth = (): Array<[string, string, string | undefined]> => seen.map((s) => [s.server, s.path, s.headers.authorization]);

  test('the token goes to the hub, also after a redirect within it; Range travels with every hop', async () => {
    const f = hubFetch({ hubUrl, token: 'hf_secret' });
    const r = await f(`${hubUrl}/same`, { headers: { Range: 'bytes=0-0' } });
    expect(await r.text()).toBe('bytes');
    expect(r.url).toBe(`${hubUrl}/file`);
    expect(auth()).toEqual([
      ['hub', '/same', 'Bearer hf_secret'],
      ['hub', '/file', 'Bearer hf_secret'],
    ]);
    expect(seen.map((s) => s.headers.range)).toEqual(['bytes=0-0', 'bytes=0-0']);
  });

  test('a redirect to another origin goes without Authorization, even one the caller set itself', async () => {
    const f = hubFetch({ hubUrl, token: 'hf_secret' });
    const r = await f(`${hubUrl}/away`, { headers: { Range: 'bytes=5-' } });
    expect(r.status).toBe(200);
    expect(auth()).toEqual([
      ['hub', '/away', 'Bearer hf_secret'],
      ['cdn', '/blob', undefined],
    ]);
    expect(seen[1]?.headers.range).toBe('bytes=5-');
    seen.length = 0;
    await (await hubFetch({ hubUrl })(`${hubUrl}/away`, { headers: { Authorization: 'Bearer hf_callers' } })).text();
    expect(auth()).toEqual([
      ['hub', '/away', 'Bearer hf_callers'],
      ['cdn', '/blob', undefined],
    ]);
    // Back on the hub's origin, the hub's own token is sent again (it is the hub's).
    seen.length = 0;
    await (await f(`${hubUrl}/round`)).text();
    expect(auth()).toEqual([
      ['hub', '/round', 'Bearer hf_secret'],
      ['cdn', '/back', undefined],
      ['hub', '/file', 'Bearer hf_secret'],
    ]);
  });

  test('without a token nothing is added; a redirect loop ends with an error', async () => {
    await (await hubFetch({ hubUrl })(`${hubUrl}/same`)).text();
    expect(auth().map(([, , a]) => a)).toEqual([undefined, undefined]);
    seen.length = 0;
    await expect(hubFetch({ hubUrl, maxRedirects: 3 })(`${hubUrl}/loop`)).rejects.toThrow(`more than 3 redirects from ${hubUrl}/loop`);
    expect(seen).toHaveLength(4); // the request and the 3 redirects it may follow
  });
});
