// The real app with an in-memory queue: request validation and error bodies, no services.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import type { JobData } from '../../src/jobs/contract.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { fakeQueue } from '../helpers/fake-queue.js';
import { subjectOnBackground } from '../helpers/images.js';
import { multipart, textForm } from '../helpers/multipart.js';

describe('api: bad requests get a clear 4xx', () => {
  let app: FastifyInstance;
  let dir: string;
  const enqueued: JobData[] = [];
  let queueUp = true;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-api-'));
    const config = loadConfig({ DATA_DIR: dir, MAX_UPLOAD_BYTES: String(200 * 1024), LOG_LEVEL: 'silent' });
    const queue = fakeQueue({ enqueued, up: () => queueUp });
    app = await buildApp({ config, queue, store: new FsBlobStore(dir), logger: pino({ level: 'silent' }) });
  });
  after(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const post = (filename: string, body: Buffer, field?: string) => app.inject({ method: 'POST', url: '/remove-bg', ...multipart(filename, body, { field, type: 'image/png' }) });
  const expectError = (res: { statusCode: number; json(): unknown; headers: Record<string, unknown> }, status: number, code: string) => {
    assert.equal(res.statusCode, status);
    const body = res.json() as { error: { code: string; message: string; request_id: string } };
    assert.equal(body.error.code, code);
    assert.ok(body.error.message.length > 10);
    assert.equal(body.error.request_id, res.headers['x-request-id']);
  };

  it('accepts a real image: 202, a UUID v4 job id and a Location header', async () => {
    const res = await post('photo.jpg', await subjectOnBackground());
    assert.equal(res.statusCode, 202);
    const body = res.json() as { job_id: string; status: string };
    assert.match(body.job_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(body.status, 'queued');
    assert.equal(res.headers.location, `/status/${body.job_id}`);
    assert.equal(enqueued.at(-1)?.filename, 'photo.jpg');
  });

  it('no image, a file in the wrong field, neither a form nor JSON', async () => {
    expectError(await app.inject({ method: 'POST', url: '/remove-bg', ...multipart('x', Buffer.from('a'), { field: 'other', type: 'image/png' }) }), 400, 'file_missing');
    expectError(await app.inject({ method: 'POST', url: '/remove-bg', ...textForm({ format: 'png' }) }), 400, 'missing_source');
    expectError(await app.inject({ method: 'POST', url: '/remove-bg', payload: { a: 1 } }), 400, 'unknown_field');
    expectError(await app.inject({ method: 'POST', url: '/remove-bg', payload: { format: 'png' } }), 400, 'missing_source');
    expectError(await app.inject({ method: 'POST', url: '/remove-bg', headers: { 'content-type': 'text/plain' }, payload: 'hello' }), 415, 'multipart_expected');
    expectError(await app.inject({ method: 'POST', url: '/remove-bg' }), 415, 'multipart_expected');
  });

  it('empty file, text named .png, truncated JPEG', async () => {
    expectError(await post('empty.png', Buffer.alloc(0)), 400, 'empty_file');
    expectError(await post('notes.png', Buffer.from('hello, I am text')), 415, 'unsupported_media_type');
    const jpeg = await subjectOnBackground(400, 300);
    expectError(await post('cut.jpg', jpeg.subarray(0, jpeg.length >> 1)), 422, 'truncated_image');
  });

  it('a file over MAX_UPLOAD_BYTES: 413, also when the size is not announced up front', async () => {
    const big = Buffer.alloc(300 * 1024, 1);
    expectError(await post('big.png', big), 413, 'file_too_large');
  });

  it('unknown job ids and routes: 404 JSON', async () => {
    expectError(await app.inject('/status/3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21'), 404, 'job_not_found');
    expectError(await app.inject('/result/..%2F..%2Fetc%2Fpasswd'), 404, 'job_not_found');
    expectError(await app.inject('/nope'), 404, 'not_found');
  });

  it('Redis down: 503 on upload and on /ready, and no internals leak', async () => {
    queueUp = false;
    try {
      const res = await post('photo.jpg', await subjectOnBackground());
      expectError(res, 503, 'queue_unavailable');
      assert.doesNotMatch(res.body, /Connection is closed/);
      expectError(await app.inject('/ready'), 503, 'not_ready');
      assert.equal((await app.inject('/health')).statusCode, 200);
    } finally {
      queueUp = true;
    }
  });

  it('keeps a valid X-Request-Id and replaces a hostile one', async () => {
    const ok = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    assert.equal(ok.headers['x-request-id'], 'abc-123');
    const bad = await app.inject({ url: '/health', headers: { 'x-request-id': 'a\nb'.repeat(100) } });
    assert.notEqual(bad.headers['x-request-id'], 'a\nb'.repeat(100));
  });
});
