// The OpenAPI document: valid, complete (every route, parameter and response described, with
// examples that match their schemas), and true (what the api answers is what it documents).
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/api/app.js';
import type { ApiDeps } from '../../src/api/deps.js';
import type { EventsHub } from '../../src/api/events-hub.js';
import { STATUS_EXAMPLES } from '../../src/api/schemas.js';
import { loadConfig } from '../../src/config.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { fakeBatches, fakeQueue } from '../helpers/fake-queue.js';
import { JOB_STATUSES } from '../../src/vocabulary.js';
import { subjectOnBackground } from '../helpers/images.js';
import { multipart, textForm } from '../helpers/multipart.js';
import { ajv, examplesOf, type Doc } from '../helpers/contract.js';


/**
 * A queue where every job is in the state a test sets (each case uses a new job id: the api
 * caches finished views, and no real job goes back from done to queued).
 */
function queueWith(state: { view: (typeof STATUS_EXAMPLES)[keyof typeof STATUS_EXAMPLES] | null }): ApiDeps['queue'] {
  return {
    ...fakeQueue(),
    view: async (id: string) => (state.view ? { ...structuredClone(state.view), job_id: id } : null),
    cancel: async () => (!state.view ? null : state.view.status === 'queued' ? 'canceled' : 'finished'),
  };
}

async function appWith(dir: string, env: Record<string, string>, queue: ApiDeps['queue']): Promise<FastifyInstance> {
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', ...env });
  const events = { listenerCount: () => 0, subscribe: () => () => undefined, snapshot: async () => null, onAnyEnd: () => () => undefined } as unknown as EventsHub;
  return buildApp({
    config, queue, store: new FsBlobStore(dir), logger: pino({ level: 'silent' }), events, batches: fakeBatches(),
    cleanup: async () => ({ expiredJobs: 0, orphanFiles: 0, jobsWithoutFiles: 0, ms: 1 }),
  });
}

/** An error body's code: Cutout's {error: {code}}, remove.bg's {errors: [{code}]}; rembg's {detail} has none. */
function errorCodeOf(body: unknown): string | undefined {
  const b = body as { error?: { code?: string }; errors?: { code?: string }[] };
  return b.error?.code ?? b.errors?.[0]?.code;
}

/** Response headers documented as sent only in some cases (a replayed answer). */
const SOMETIMES_SENT = new Set(['Idempotent-Replayed']);

describe('OpenAPI document', () => {
  let dir: string;
  let app: FastifyInstance;
  let doc: Doc;
  const state: { view: (typeof STATUS_EXAMPLES)[keyof typeof STATUS_EXAMPLES] | null } = { view: null };
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-openapi-'));
    app = await appWith(dir, {}, queueWith(state));
    doc = (await app.inject({ url: '/openapi.json' })).json();
  });
  after(async () => {
    await app.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const operations = () => Object.entries(doc.paths).flatMap(([p, ops]) => Object.entries(ops).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, op })));

  it('is a valid OpenAPI 3 document with every registered route', async () => {
    const result = await new Validator().validate(doc as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors)?.slice(0, 2000));
    const documented = new Set(operations().map((o) => o.key));
    const routes = app.routeList.filter((r) => !r.hidden && !r.url.startsWith('/docs'));
    assert.ok(routes.length >= 11, `${routes.length} routes`);
    for (const r of routes) assert.ok(documented.has(`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`), `${r.method} ${r.url} is documented`);
  });

  it('describes every operation, parameter and response, with examples that match their schemas', () => {
    const ids = new Set<string>();
    for (const { key, op } of operations()) {
      assert.ok(op.summary && op.description, `${key}: summary and description`);
      assert.ok(op.operationId && !ids.has(op.operationId), `${key}: a unique operationId`);
      ids.add(op.operationId);
      assert.ok(op.tags?.length, `${key}: tagged`);
      for (const p of op.parameters ?? []) {
        assert.ok(p.description, `${key}: parameter ${p.name} described`);
        assert.ok(p.example !== undefined, `${key}: parameter ${p.name} has an example`);
        assert.ok(ajv.validate(p.schema, p.example), `${key}: the example of ${p.name} fits its schema`);
      }
      assert.ok(op.responses['500'], `${key}: documents 500`);
      for (const [code, r] of Object.entries(op.responses)) {
        assert.ok(r.description && r.description !== 'Default Response', `${key} ${code}: described`);
        assert.ok(r.headers?.['X-Request-Id'], `${key} ${code}: X-Request-Id header`);
        for (const [type, media] of Object.entries(r.content ?? {})) {
          if (type.startsWith('image/') || media.schema?.format === 'binary') continue; // binary: the description says it
          const examples = examplesOf(media);
          assert.ok(examples.length > 0, `${key} ${code} ${type}: has an example`);
          for (const [name, value] of examples) {
            assert.ok(ajv.validate(media.schema!, value), `${key} ${code} example ${name}: ${ajv.errorsText()}`);
            if (Number(code) >= 400 && errorCodeOf(value) !== undefined) assert.equal(errorCodeOf(value), name, `${key} ${code}: named by its code`);
          }
        }
      }
    }
    const upload = doc.paths['/remove-bg']!.post!;
    const form = upload.requestBody?.content['multipart/form-data']?.schema as { properties?: Record<string, unknown> } | undefined;
    assert.ok(form?.properties?.file && form.properties.image_url, 'the upload field and image_url are documented in the form');
    assert.equal(upload.requestBody?.content['application/json']?.schema?.required?.toString(), 'image_url', 'the JSON body is documented');
    assert.ok(upload.responses['202']!.headers?.Location, 'Location documented');
    assert.equal(doc.paths['/status/{job_id}']!.get!.security, undefined, 'no security without API keys');
  });

  it('answers only what it documents: status codes, error codes and bodies', async () => {
    const image = await subjectOnBackground(64, 48, 'png');
    const finished = crypto.randomUUID();
    await new FsBlobStore(dir).putResult(finished, image);
    state.view = null;
    const made = await app.inject({ method: 'POST', url: '/batches', ...multipart('a.png', image) });
    const batchId = made.json<{ batch_id: string }>().batch_id;
    const cases: { name: string; op: [string, string]; inject: InjectOptions & { url: string }; view?: keyof typeof STATUS_EXAMPLES }[] = [
      { name: 'upload', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', ...multipart('a.png', image) } },
      { name: 'text file', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', ...multipart('a.txt', Buffer.from('hello, not an image')) } },
      { name: 'empty file', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', ...multipart('a.png', Buffer.alloc(0)) } },
      { name: 'truncated', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', ...multipart('a.png', image.subarray(0, image.length - 20)) } },
      { name: 'json body', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', payload: { file: 'x' } } },
      { name: 'json without a source', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', payload: { format: 'png' } } },
      { name: 'refused image_url', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', payload: { image_url: 'http://169.254.169.254/latest/meta-data/' } } },
      { name: 'image_url and file', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', ...textForm({ image_url: 'https://example.com/a.png' }, { bytes: image }) } },
      { name: 'json too large', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', payload: { image_url: `https://example.com/${'a'.repeat(40_000)}` } } },
      { name: 'json malformed', op: ['post', '/remove-bg'], inject: { method: 'POST', url: '/remove-bg', headers: { 'content-type': 'application/json' }, payload: '{"image_url":' } },
      { name: 'limits', op: ['get', '/limits'], inject: { url: '/limits' } },
      { name: 'unknown status', op: ['get', '/status/{job_id}'], inject: { url: '/status/nope' } },
      ...JOB_STATUSES.map((view) => ({
        name: `status ${view}`, op: ['get', '/status/{job_id}'] as [string, string], inject: { url: '/status/JOB' }, view,
      })),
      ...(['queued', 'failed', 'done'] as const).map((view) => ({
        name: `result of ${view}`, op: ['get', '/result/{job_id}'] as [string, string], inject: { url: '/result/JOB' }, view,
      })),
      { name: 'result png', op: ['get', '/result/{job_id}'], inject: { url: `/result/${finished}` }, view: 'done' },
      { name: 'cancel queued', op: ['delete', '/jobs/{job_id}'], inject: { method: 'DELETE', url: '/jobs/JOB' }, view: 'queued' },
      { name: 'cancel done', op: ['delete', '/jobs/{job_id}'], inject: { method: 'DELETE', url: '/jobs/JOB' }, view: 'done' },
      { name: 'cancel unknown', op: ['delete', '/jobs/{job_id}'], inject: { method: 'DELETE', url: '/jobs/JOB' } },
      { name: 'failed list', op: ['get', '/jobs/failed'], inject: { url: '/jobs/failed?page=2' } },
      { name: 'failed list, bad page size', op: ['get', '/jobs/failed'], inject: { url: '/jobs/failed?per_page=500' } },
      { name: 'events of unknown', op: ['get', '/events/{job_id}'], inject: { url: `/events/${crypto.randomUUID()}` } },
      { name: 'batch', op: ['post', '/batches'], inject: { method: 'POST', url: '/batches', ...multipart('a.png', image) } },
      { name: 'batch of a text file', op: ['post', '/batches'], inject: { method: 'POST', url: '/batches', ...multipart('a.txt', Buffer.from('hello')) } },
      { name: 'batch, json body', op: ['post', '/batches'], inject: { method: 'POST', url: '/batches', payload: { file: 'x' } } },
      { name: 'batch status', op: ['get', '/batches/{batch_id}'], inject: { url: `/batches/${batchId}` }, view: 'done' },
      { name: 'batch status, unknown', op: ['get', '/batches/{batch_id}'], inject: { url: `/batches/${crypto.randomUUID()}` } },
      { name: 'batch zip', op: ['get', '/batches/{batch_id}/zip'], inject: { url: `/batches/${batchId}/zip` }, view: 'done' },
      { name: 'batch zip, unknown', op: ['get', '/batches/{batch_id}/zip'], inject: { url: '/batches/nope/zip' } },
      { name: 'batch events, unknown', op: ['get', '/batches/{batch_id}/events'], inject: { url: `/batches/${crypto.randomUUID()}/events` } },
      { name: 'batch cancel', op: ['delete', '/batches/{batch_id}'], inject: { method: 'DELETE', url: `/batches/${batchId}` }, view: 'queued' },
      { name: 'batch cancel, unknown', op: ['delete', '/batches/{batch_id}'], inject: { method: 'DELETE', url: `/batches/${crypto.randomUUID()}` } },
      { name: 'cleanup', op: ['post', '/admin/cleanup'], inject: { method: 'POST', url: '/admin/cleanup' } },
      { name: 'health', op: ['get', '/health'], inject: { url: '/health' } },
      { name: 'ready', op: ['get', '/ready'], inject: { url: '/ready' } },
      { name: 'metrics', op: ['get', '/metrics'], inject: { url: '/metrics' } },
      { name: 'remove.bg, no source', op: ['post', '/v1.0/removebg'], inject: { method: 'POST', url: '/v1.0/removebg', payload: { size: 'auto' } } },
      { name: 'remove.bg, bad size', op: ['post', '/v1.0/removebg'], inject: { method: 'POST', url: '/v1.0/removebg', ...textForm({ size: 'huge' }, { bytes: image, field: 'image_file' }) } },
      { name: 'remove.bg, not an image', op: ['post', '/v1.0/removebg'], inject: { method: 'POST', url: '/v1.0/removebg', ...multipart('a.txt', Buffer.from('hello'), { field: 'image_file' }) } },
      { name: 'remove.bg account', op: ['get', '/v1.0/account'], inject: { url: '/v1.0/account' } },
      { name: 'rembg, no url', op: ['get', '/api/remove'], inject: { url: '/api/remove?om=true' } },
      { name: 'rembg, refused url', op: ['get', '/api/remove'], inject: { url: '/api/remove?url=http://10.0.0.8/a.png' } },
      { name: 'rembg, no file', op: ['post', '/api/remove'], inject: { method: 'POST', url: '/api/remove', ...textForm({ om: 'true' }) } },
      { name: 'rembg, bad af', op: ['post', '/api/remove'], inject: { method: 'POST', url: '/api/remove', ...textForm({ af: '300' }, { bytes: image }) } },
    ];
    const seen = new Set<string>();
    for (const c of cases) {
      state.view = c.view ? STATUS_EXAMPLES[c.view] : null;
      const res = await app.inject({ ...c.inject, url: c.inject.url.replace('JOB', crypto.randomUUID()) });
      const documented = doc.paths[c.op[1]]![c.op[0]]!.responses[String(res.statusCode)];
      assert.ok(documented, `${c.name}: ${res.statusCode} is documented for ${c.op.join(' ')} (${res.body.slice(0, 200)})`);
      seen.add(`${c.op.join(' ')} ${res.statusCode}`);
      const type = String(res.headers['content-type'] ?? '').split(';')[0]!;
      const media = documented.content?.[type];
      assert.ok(media, `${c.name}: ${type} is documented for ${res.statusCode}`);
      for (const h of Object.keys(documented.headers ?? {}).filter((name) => !SOMETIMES_SENT.has(name))) assert.ok(res.headers[h.toLowerCase()], `${c.name}: header ${h} is sent`);
      if (type !== 'application/json') continue;
      const body = res.json<unknown>();
      assert.ok(ajv.validate(media.schema!, body), `${c.name}: the body fits the schema: ${ajv.errorsText()} ${res.body}`);
      // rembg's FastAPI bodies ({detail}) carry no code: their shape is what is held.
      if (res.statusCode >= 400 && errorCodeOf(body) !== undefined) {
        const codes = examplesOf(media).map(([name]) => name);
        assert.ok(codes.includes(errorCodeOf(body) ?? ''), `${c.name}: error code ${errorCodeOf(body)} is among the documented ${codes.join(', ')}`);
      }
    }
    assert.ok(seen.size >= 15, `${seen.size} distinct answers checked`);
  });

  it('turns requests away with the documented 503 once shutting down', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const closingDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-closing-'));
    const config = loadConfig({ DATA_DIR: closingDir, LOG_LEVEL: 'silent' });
    const closingApp = await buildApp({
      config, queue: fakeQueue(), store: new FsBlobStore(closingDir), logger: pino({ level: 'silent' }),
      cleanup: async () => (await slow, { expiredJobs: 0, orphanFiles: 0, jobsWithoutFiles: 0, ms: 1 }),
    });
    await closingApp.listen({ host: '127.0.0.1', port: 0 });
    const { port } = closingApp.server.address() as net.AddressInfo;
    // Two requests on one connection: the second arrives while the server closes, the first in flight.
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    socket.on('data', (d: Buffer) => (raw += d.toString()));
    const ended = new Promise((r) => socket.on('close', r));
    socket.write('POST /admin/cleanup HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const closed = closingApp.close();
    await new Promise((r) => setTimeout(r, 50));
    socket.write(`GET /status/${crypto.randomUUID()} HTTP/1.1\r\nHost: x\r\nX-Request-Id: late-1\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await closed;
    await ended;
    await fs.rm(closingDir, { recursive: true, force: true });
    const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
    assert.match(first ?? '', /^HTTP\/1\.1 200/, 'the request in flight is served');
    assert.ok(second, `a second answer: ${raw.slice(0, 600)}`);
    const [head, body] = second.split('\r\n\r\n') as [string, string];
    const late = {
      statusCode: Number(head.split(' ')[1]),
      headers: Object.fromEntries(head.split('\r\n').slice(1).map((l) => [l.split(':')[0]!.toLowerCase(), l.slice(l.indexOf(':') + 1).trim()])),
      json: () => JSON.parse(body) as unknown,
    };
    assert.equal(late.statusCode, 503);
    assert.equal(late.headers['retry-after'], '1');
    assert.equal(late.headers.connection, 'close');
    const documented = doc.paths['/status/{job_id}']!.get!.responses['503']!.content!['application/json']!;
    assert.ok(ajv.validate(documented.schema!, late.json()), ajv.errorsText());
    assert.deepEqual(late.json(), {
      error: { code: 'shutting_down', message: 'This server is shutting down. Please retry: the request will reach another instance.', request_id: 'late-1' },
    });
    assert.ok(examplesOf(documented).some(([name]) => name === 'shutting_down'));
  });

  it('documents API keys where they are required when API_KEYS is set', async () => {
    const keyed = await appWith(dir, { API_KEYS: 'k-123' }, queueWith(state));
    try {
      const d: Doc = (await keyed.inject({ url: '/openapi.json' })).json();
      assert.ok(d.components?.securitySchemes?.bearer);
      const status = d.paths['/status/{job_id}']!.get!;
      assert.ok(status.security?.length && status.responses['401'] && status.responses['403'], 'a protected route documents its keys');
      const health = d.paths['/health']!.get!;
      assert.equal(health.security, undefined, 'probes stay open');
      assert.equal(health.responses['401'], undefined);
      for (const [headers, code] of [[{}, 401], [{ 'x-api-key': 'wrong' }, 403]] as const) {
        const res = await keyed.inject({ url: `/status/${crypto.randomUUID()}`, headers });
        assert.equal(res.statusCode, code);
        const media = status.responses[String(code)]!.content!['application/json']!;
        assert.ok(ajv.validate(media.schema!, res.json()));
        assert.ok(examplesOf(media).some(([name]) => name === res.json<{ error: { code: string } }>().error.code));
      }
    } finally {
      await keyed.close();
    }
  });
});
