// A webhook whose host name turns out (at delivery, when it is resolved) to lead to a refused
// address: nothing is sent, and the delivery ends at once as failed instead of being retried.
// A local receiver counts what reaches it; the loopback guard fails the file on any other connect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { UnrecoverableError, type Job } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import type { WebhookQueue, WebhookTarget } from '../../src/jobs/webhooks.js';
import { webhookPost } from '../../src/webhooks/post.js';
import { createWebhookProcessor, PermanentDeliveryError } from '../../src/worker/webhook-delivery.js';
import { startServer, type TestServer } from '../helpers/http-servers.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';

describe('webhook delivery to a refused address', () => {
  let guard: LoopbackGuard;
  let receiver: TestServer;
  before(async () => {
    guard = installLoopbackGuard();
    receiver = await startServer({ '/hook': (_req, res) => res.writeHead(204).end() });
  });
  after(async () => {
    await receiver.close();
    guard.remove();
    guard.check();
  });

  const post = (allow: string) => webhookPost(loadConfig({ LOG_LEVEL: 'silent', URL_FETCH_ALLOW_HOSTS: allow }));
  const headers = { 'webhook-id': 'msg_job_x', 'webhook-timestamp': '1', 'webhook-signature': 'v1,x' };

  it('a name that resolves to loopback is refused before any connection, as a permanent failure', async () => {
    receiver.hits.length = 0;
    await assert.rejects(post('')(`http://localhost:${receiver.port}/hook`, '{}', headers), (err) => err instanceof PermanentDeliveryError && /localhost resolves to 127\.0\.0\.1/.test(err.message));
    assert.deepEqual(receiver.hits, []);
    // Allowed on purpose, the same URL is delivered.
    await post('127.0.0.1')(`http://localhost:${receiver.port}/hook`, '{}', headers);
    assert.deepEqual(receiver.hits, ['POST /hook']);
  });

  it('the delivery job ends at once (no retry) and the status says why', async () => {
    const records: object[] = [];
    const webhooks = { record: async (_t: unknown, outcome: object) => void records.push(outcome) } as unknown as WebhookQueue;
    const deliver = createWebhookProcessor({ webhooks, bodyOf: async () => '{"status":"done"}', post: post(''), key: Buffer.alloc(32), logger: pino({ level: 'silent' }) });
    const target: WebhookTarget = { kind: 'job', id: 'x', url: `http://localhost:${receiver.port}/hook`, body: '{}' };
    const job = { id: 'job-x', data: target, attemptsMade: 0, opts: { attempts: 8 }, updateData: async () => undefined } as unknown as Job<WebhookTarget>;
    receiver.hits.length = 0;
    await assert.rejects(deliver(job), (err) => err instanceof UnrecoverableError && /loopback/.test(err.message));
    assert.deepEqual(receiver.hits, []);
    assert.equal(records.length, 1);
    assert.deepEqual({ ...records[0], last_error: undefined }, { state: 'failed', attempts: 1, last_error: undefined });
    assert.match((records[0] as { last_error: string }).last_error, /localhost resolves to 127\.0\.0\.1, which is a loopback address/);
  });
});
