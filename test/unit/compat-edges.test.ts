// The compat endpoints' answers given before their work: a missing or wrong key (403 in
// remove.bg's shape, its clients expect no 401) and the rate limit (429 with Retry-After and
// X-RateLimit-*), held to remove.bg's own API description. No Redis: a fake queue.
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
import { assertRemoveBgAnswer, type Answer } from '../helpers/removebg-doc.js';

async function appWith(dir: string, env: Record<string, string>): Promise<FastifyInstance> {
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', ...env });
  return buildApp({ config, queue: fakeQueue(), store: new FsBlobStore(dir), logger: pino({ level: 'silent' }) });
}

const answer = (res: { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }): Answer => ({
  status: res.statusCode,
  headers: new Headers(Object.entries(res.headers).map(([k, v]): [string, string] => [k, String(v)])),
  body: res.rawPayload,
});

describe('compat endpoints: keys and rate limit', () => {
  let dir: string;
  before(async () => void (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-compat-'))));
  after(async () => fs.rm(dir, { recursive: true, force: true }));

  it('answers a missing or wrong key with remove.bg\'s 403, and takes X-Api-Key', async () => {
    const app = await appWith(dir, { API_KEYS: 'k-123' });
    try {
      for (const headers of [{}, { 'x-api-key': 'wrong' }]) {
        for (const [method, url, op] of [['POST', '/v1.0/removebg', 'post'], ['GET', '/v1.0/account', 'get']] as const) {
          const res = answer(await app.inject({ method, url, headers, payload: method === 'POST' ? { size: 'auto' } : undefined }));
          assertRemoveBgAnswer([op, url.replace('/v1.0', '')], res, `${method} ${url} ${JSON.stringify(headers)}`);
          assert.equal(res.status, 403);
        }
      }
      const ok = await app.inject({ url: '/v1.0/account', headers: { 'x-api-key': 'k-123' } });
      assert.equal(ok.statusCode, 200);
      const doc = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>> }>();
      const op = doc.paths['/v1.0/removebg']!.post!;
      assert.ok(op.security?.length && op.responses['403'] && !op.responses['401'], 'documented: a key, and 403 (never 401)');
    } finally {
      await app.close();
    }
  });

  it('answers past the rate limit with remove.bg\'s 429, Retry-After and X-RateLimit-*', async () => {
    const app = await appWith(dir, { RATE_LIMIT_PER_MINUTE: '1' });
    try {
      const first = await app.inject({ method: 'POST', url: '/v1.0/removebg', payload: { size: 'auto' } });
      assert.equal(first.statusCode, 400);
      const res = answer(await app.inject({ method: 'POST', url: '/v1.0/removebg', payload: { size: 'auto' } }));
      assertRemoveBgAnswer(['post', '/removebg'], res, 'rate limited');
      assert.equal(res.status, 429);
      for (const h of ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) assert.ok(res.headers.get(h), `${h} is sent`);
      assert.equal(JSON.parse(res.body.toString()).errors[0].code, 'rate_limit_exceeded');
    } finally {
      await app.close();
    }
  });
});
