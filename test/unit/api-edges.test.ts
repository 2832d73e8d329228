// What an external OpenAPI fuzzer found at the api's edges, kept as plain regression tests: each
// answer is our JSON error with a documented code, X-Request-Id and the security headers.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
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

interface Raw { status: number; headers: Record<string, string>; body: { error?: { code: string; message: string; request_id: string } } }

/** One request as raw bytes (no client normalises the URL or the headers), one answer. */
function raw(port: number, request: Buffer | string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      const [head, body = ''] = text.split('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(head!)?.[1] ?? -1);
      if (length >= 0 && Buffer.byteLength(body, 'latin1') >= length) {
        socket.destroy();
        const lines = head!.split('\r\n');
        const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: JSON.parse(body) as Raw['body'] });
      }
    });
    socket.on('error', reject);
    setTimeout(() => reject(new Error(`no answer: ${text.slice(0, 200)}`)), 5000).unref();
  });
}

function form(fields: number, files: string[], png: Buffer): string | Buffer {
  const b = 'edgeboundary';
  const parts: Buffer[] = [];
  for (let i = 0; i < fields; i++) parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`));
  for (const name of files) parts.push(Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="${name}"; filename="a.png"\r\n\r\n`), png, Buffer.from('\r\n'));
  parts.push(Buffer.from(`--${b}--\r\n`));
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(`POST /remove-bg HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${b}\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
}

const get = (url: string, extra = '') => `GET ${url} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;

describe('api edges: every answer in our format', () => {
  let app: FastifyInstance;
  let dir: string;
  let port: number;
  let png: Buffer;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-edges-'));
    const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' });
    app = await buildApp({ config, queue: fakeQueue(), store: new FsBlobStore(dir), logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
    png = await subjectOnBackground(48, 32, 'png');
  });
  after(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const expectError = (res: Raw, status: number, code: string) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.error?.code, code);
    assert.match(res.body.error!.message, /[.]$/, 'a sentence');
    assert.ok(res.headers['x-request-id'], 'X-Request-Id');
    assert.equal(res.body.error?.request_id, res.headers['x-request-id']);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  };

  it('forms: text fields and several files get a 4xx with their own code, never a 500', async () => {
    for (const fields of [1, 10, 11, 12, 100]) expectError(await raw(port, form(fields, ['file'], png)), 400, 'unknown_field');
    expectError(await raw(port, form(0, ['file', 'file', 'file'], png)), 400, 'too_many_files');
    expectError(await raw(port, form(0, ['image', 'file'], png)), 400, 'file_missing');
    assert.equal((await raw(port, form(0, ['file'], png))).status, 202);
    const noBoundary = `POST /remove-bg HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data\r\nContent-Length: 4\r\n\r\nabcd`;
    expectError(await raw(port, noBoundary), 400, 'malformed_form');
  });

  it('framework errors: broken URLs, over-long ids, huge headers', async () => {
    for (const bad of ['%ZZ', '%FF', '%C3', 'a'.repeat(70), 'a'.repeat(120)]) {
      const res = await raw(port, get(`/status/${bad}`));
      expectError(res, 404, 'job_not_found');
      assert.ok(!JSON.stringify(res.body).includes('a'.repeat(100)), 'the id is not echoed whole');
    }
    expectError(await raw(port, get('/health', `X-Big: ${'a'.repeat(20_000)}\r\n`)), 431, 'headers_too_large');
  });

  it('a known path with another method: 405 with Allow', async () => {
    const res = await raw(port, `PUT /status/abc HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    expectError(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET, HEAD');
    expectError(await raw(port, get('/nowhere')), 404, 'not_found');
  });

  it('a large body that is not an upload names the 1 MB limit', async () => {
    const body = `{"a":"${'x'.repeat(2 * 1024 * 1024)}"}`;
    const res = await raw(port, `DELETE /jobs/3f0c8f0e-6a4e-4b8e-9a57-2a9c1f3b6d21 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expectError(res, 413, 'body_too_large');
    assert.match(res.body.error!.message, /1 MB/);
  });
});
