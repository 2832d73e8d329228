// safeFetch against local servers: what it fetches, what it refuses before any connection, and
// how it ends a bad answer. Every connection is checked to be loopback (test/helpers/loopback-only).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FetchFailedError, UrlRefusedError, parseAllowList, safeFetch, type Resolver, type SafeFetchOptions } from '../../src/net/safe-fetch.js';
import { endless, redirect, startServer, type TestServer } from '../helpers/http-servers.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';

const LOCAL = parseAllowList(['127.0.0.1']);
const base: SafeFetchOptions = { maxBytes: 64 * 1024, timeoutMs: 5000, allow: LOCAL };

/** A resolver that answers from a table, counting its calls; no DNS is ever asked. */
function fakeDns(table: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = async (host: string) => {
    calls.push(host);
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answers.map((address) => ({ address, family: net.isIP(address) }));
  };
  return Object.assign(resolver, { calls });
}

const refused = (pattern: RegExp) => (err: unknown) => err instanceof UrlRefusedError && pattern.test(err.reason);
const failed = (kind: FetchFailedError['kind'], pattern = /./) => (err: unknown) => err instanceof FetchFailedError && err.kind === kind && pattern.test(err.reason);

describe('safeFetch', () => {
  let guard: LoopbackGuard;
  let server: TestServer;
  before(async () => {
    guard = installLoopbackGuard();
    const hops = (n: number) => Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`/hop${n}-${i}`, redirect(i + 1 < n ? `/hop${n}-${i + 1}` : '/ok')]));
    server = await startServer({
      '/ok': (req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'x-host': req.headers.host }).end('hello'),
      '/to-metadata': redirect('http://169.254.169.254/latest/meta-data/'),
      '/to-private-dns': redirect('http://internal.example/x'),
      '/deep/relative': redirect('../ok', 301),
      '/drip': endless(Buffer.from('.'), 50, { 'content-length': '1000000' }),
      '/endless': endless(Buffer.alloc(16 * 1024, 1), 1),
      '/announced-huge': (_req, res) => res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end(),
      '/post': (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => res.writeHead(201, { 'content-type': 'text/plain' }).end(`got ${req.method} ${body}`));
      },
      '/post-redirect': redirect('/ok', 307),
      ...hops(5),
      ...hops(6),
    });
  });
  after(async () => {
    await server.close();
    guard.remove();
    guard.check();
  });

  it('fetches an allowed URL, following a relative redirect', async () => {
    const res = await safeFetch(`${server.origin}/deep/relative`, base);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), 'hello');
    assert.equal(res.url, `${server.origin}/ok`);
  });

  it('refuses loopback, private and metadata addresses in every spelling, with nothing allowed', async () => {
    const port = server.port;
    server.hits.length = 0;
    for (const host of ['127.0.0.1', '0x7f.1', '2130706433', '017700000001', '127.1', '[::ffff:127.0.0.1]', '[::1]', '[::]', '0', '10.0.0.1', '169.254.169.254', '100.64.0.1']) {
      await assert.rejects(safeFetch(`http://${host}:${port}/ok`, { ...base, allow: undefined }), refused(/is (a|an|the) /), host);
    }
    assert.deepEqual(server.hits, [], 'nothing reached the server');
  });

  it('refuses other schemes and credentials', async () => {
    for (const url of ['ftp://example.com/a.png', 'file:///etc/passwd', 'gopher://127.0.0.1:70/', 'data:image/png;base64,AAAA', 'not a url']) {
      await assert.rejects(safeFetch(url, base), refused(/scheme|not an absolute URL/), url);
    }
    await assert.rejects(safeFetch(`http://user:pass@127.0.0.1:${server.port}/ok`, base), refused(/user name or password/));
  });

  it('checks each redirect: to the metadata address, or to a name that resolves privately, is refused before any connection', async () => {
    const dns = fakeDns({ 'internal.example': ['10.0.0.1'] });
    server.hits.length = 0;
    await assert.rejects(safeFetch(`${server.origin}/to-metadata`, base), refused(/169\.254\.169\.254 is the cloud metadata address/));
    await assert.rejects(safeFetch(`${server.origin}/to-private-dns`, { ...base, resolver: dns }), refused(/internal\.example resolves to 10\.0\.0\.1/));
    assert.deepEqual(server.hits, ['GET /to-metadata', 'GET /to-private-dns']);
  });

  it('an allowed host name does not allow its address in another spelling', async () => {
    const dns = fakeDns({ 'images.test': ['127.0.0.1'] });
    const allow = parseAllowList(['images.test']);
    const ok = await safeFetch(`http://images.test:${server.port}/ok`, { ...base, allow, resolver: dns });
    assert.equal(ok.headers['x-host'], `images.test:${server.port}`, 'Host keeps the name');
    for (const target of [`http://[::ffff:127.0.0.1]:${server.port}/ok`, `http://127.0.0.1:${server.port}/ok`, `http://0x7f.1:${server.port}/ok`]) {
      const hop = await startServer({ '/go': redirect(target) });
      try {
        await assert.rejects(safeFetch(`http://images.test:${hop.port}/go`, { ...base, allow, resolver: dns }), refused(/loopback|IPv4-mapped/), target);
      } finally {
        await hop.close();
      }
    }
  });

  it('resolves a name once and connects to that answer (no second lookup to rebind)', async () => {
    let answers = 0;
    const rebinding: Resolver = async () => [{ address: answers++ === 0 ? '127.0.0.1' : '10.0.0.1', family: 4 }];
    const res = await safeFetch(`http://rebind.test:${server.port}/ok`, { ...base, resolver: rebinding });
    assert.equal(res.body.toString(), 'hello');
    assert.equal(answers, 1);
  });

  it('refuses a name when any of its answers is refused, and without an allow list when it answers loopback', async () => {
    const dns = fakeDns({ 'mixed.test': ['127.0.0.1', '10.0.0.1'], 'local.test': ['127.0.0.1'], 'v6.test': ['fd00::5'] });
    await assert.rejects(safeFetch(`http://mixed.test:${server.port}/ok`, { ...base, resolver: dns }), refused(/resolves to 10\.0\.0\.1, which is a private/));
    await assert.rejects(safeFetch(`http://local.test:${server.port}/ok`, { ...base, allow: undefined, resolver: dns }), refused(/loopback/));
    await assert.rejects(safeFetch(`http://v6.test:${server.port}/ok`, { ...base, resolver: dns }), refused(/unique local/));
    await assert.rejects(safeFetch(`http://nowhere.test:${server.port}/ok`, { ...base, resolver: dns }), failed('dns', /ENOTFOUND/));
  });

  it('follows 5 redirects, not 6', async () => {
    assert.equal((await safeFetch(`${server.origin}/hop5-0`, base)).url, `${server.origin}/ok`);
    await assert.rejects(safeFetch(`${server.origin}/hop6-0`, base), failed('redirects', /more than 5/));
  });

  it('ends a slow drip at the time limit, and an endless body at the byte cap', async () => {
    await assert.rejects(safeFetch(`${server.origin}/drip`, { ...base, maxBytes: 10_000_000, timeoutMs: 400 }), failed('timeout', /0\.4 seconds/));
    await assert.rejects(safeFetch(`${server.origin}/endless`, { ...base, timeoutMs: 20_000 }), failed('too_large', /65536-byte/));
    await assert.rejects(safeFetch(`${server.origin}/announced-huge`, base), failed('too_large'));
  });

  it('reports an error status, and a refused connection', async () => {
    await assert.rejects(safeFetch(`${server.origin}/missing`, base), (err) => failed('status', /404 Not Found/)(err) && (err as FetchFailedError).status === 404);
    const closed = await startServer({});
    await closed.close();
    await assert.rejects(safeFetch(`${closed.origin}/x`, base), failed('connection', /refused/));
  });

  it('POSTs a body, and does not follow a redirect of a POST', async () => {
    const res = await safeFetch(`${server.origin}/post`, { ...base, method: 'POST', body: '{"a":1}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 201);
    assert.equal(res.body.toString(), 'got POST {"a":1}');
    await assert.rejects(safeFetch(`${server.origin}/post-redirect`, { ...base, method: 'POST', body: 'x' }), failed('status', /307/));
  });

  it('the loopback guard itself refuses a connection elsewhere, by address or by a lookup answer', async () => {
    assert.throws(() => net.connect(80, '10.0.0.1'), /loopback-only guard/);
    const lookup = (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) => (o.all ? cb(null, [{ address: '10.0.0.2', family: 4 }]) : cb(null, '10.0.0.2', 4));
    const socket = net.connect({ host: 'private.test', port: 80, lookup: lookup as never });
    await assert.rejects(new Promise((_resolve, reject) => socket.on('error', reject)), /loopback-only guard/);
    assert.deepEqual(guard.violations.splice(0), ['10.0.0.1:80', 'private.test → 10.0.0.2:80']);
  });
});
