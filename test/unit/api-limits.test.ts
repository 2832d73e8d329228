// Upload rate limit and CORS allow-list, on the real app with an in-memory queue.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { fakeQueue } from '../helpers/fake-queue.js';
import { subjectOnBackground } from '../helpers/images.js';
import { multipart } from '../helpers/multipart.js';


describe('rate limit and CORS', () => {
  let app: FastifyInstance;
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-limits-'));
    const config = loadConfig({ DATA_DIR: dir, RATE_LIMIT_PER_MINUTE: '3', CORS_ORIGINS: 'https://brand.example', LOG_LEVEL: 'silent' });
    app = await buildApp({ config, queue: fakeQueue(), store: new FsBlobStore(dir), logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After and a JSON reason past RATE_LIMIT_PER_MINUTE uploads', async () => {
    const image = await subjectOnBackground(64, 48);
    const upload = (ip: string) => app.inject({ method: 'POST', url: '/remove-bg', remoteAddress: ip, ...multipart('a.jpg', image) });
    for (let i = 0; i < 3; i++) assert.equal((await upload('10.0.0.1')).statusCode, 202);
    const limited = await upload('10.0.0.1');
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal((limited.json() as { error: { code: string } }).error.code, 'rate_limited');
    assert.equal((await upload('10.0.0.2')).statusCode, 202, 'another client is not limited');
    assert.equal((await app.inject('/health')).statusCode, 200, 'reads are not limited');
  });

  it('allows only the configured origins', async () => {
    const ok = await app.inject({ method: 'OPTIONS', url: '/remove-bg', headers: { origin: 'https://brand.example', 'access-control-request-method': 'POST' } });
    assert.equal(ok.headers['access-control-allow-origin'], 'https://brand.example');
    const other = await app.inject({ url: '/health', headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });

  it('serves the page with security headers', async () => {
    const res = await app.inject('/');
    assert.equal(res.statusCode, 200, 'the page is built (npm run build; npm test does it)');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});

describe('API keys', () => {
  let app: FastifyInstance;
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-keys-'));
    await fs.writeFile(path.join(dir, 'keys'), '# team keys\nk-from-file\n');
    const config = loadConfig({ DATA_DIR: dir, API_KEYS: 'k-one,k-two', API_KEYS_FILE: path.join(dir, 'keys'), LOG_LEVEL: 'silent' });
    app = await buildApp({ config, queue: fakeQueue(), store: new FsBlobStore(dir), logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });
  const unknown = '/status/3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21';

  it('401 without a key, 403 with a wrong one, through with a right one in any of the three places', async () => {
    const none = await app.inject(unknown);
    assert.equal(none.statusCode, 401);
    assert.equal((none.json() as { error: { code: string } }).error.code, 'api_key_required');
    assert.equal((await app.inject({ url: unknown, headers: { 'x-api-key': 'nope' } })).statusCode, 403);
    assert.equal((await app.inject({ url: unknown, headers: { authorization: 'Bearer k-two' } })).statusCode, 404);
    assert.equal((await app.inject({ url: unknown, headers: { 'x-api-key': 'k-from-file' } })).statusCode, 404);
    assert.equal((await app.inject(`${unknown}?api_key=k-one`)).statusCode, 404);
  });

  it('leaves the page, health, readiness, limits, models and docs open', async () => {
    for (const url of ['/', '/app.js', '/health', '/ready', '/limits', '/models', '/openapi.json']) {
      assert.equal((await app.inject(url)).statusCode, 200, url);
    }
  });
});
