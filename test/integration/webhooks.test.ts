// callback_url: when a job ends, its status is POSTed to the client's URL, signed per Standard
// Webhooks and retried with backoff. Real api, worker and Redis (a stand-in model); the receiver is
// a local server that fails twice, then checks the signature with the `standardwebhooks` package
// (a verifier nobody on this project wrote).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { StatusView } from '../../src/jobs/contract.js';
import { subjectOnBackground } from '../helpers/images.js';
import { installLoopbackGuard, type LoopbackGuard } from '../helpers/loopback-only.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';
import { SECRET, startReceiver } from '../helpers/webhook-receiver.js';

describe('webhooks (callback_url)', { timeout: 120_000 }, () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let photo: Buffer;
  let guard: LoopbackGuard;
  before(async () => {
    guard = installLoopbackGuard();
    receiver = await startReceiver();
    cutter = await standInCutter();
    stack = await startStack({
      workers: 1,
      cutter,
      env: { WEBHOOK_SECRET: SECRET, WEBHOOK_BACKOFF_SECONDS: '0.2', URL_FETCH_ALLOW_HOSTS: '127.0.0.1', PUBLIC_URL: 'https://cutout.example', JOB_ATTEMPTS: '1', WEBHOOK_ATTEMPTS: '5' },
    });
    photo = await subjectOnBackground(64, 48);
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
    guard.remove();
    guard.check();
  });
  beforeEach(() => receiver.failFirst(0));

  async function send(fields: Record<string, string>) {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(photo)]), 'photo.jpg');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const res = await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form });
    return { status: res.status, body: (await res.json()) as { job_id?: string; error?: { code: string; message: string } } };
  }
  const delivered = (jobId: string) => stack.waitFor(jobId, (v) => v.callback?.state === 'delivered' || v.callback?.state === 'failed', 30_000);

  it('a done job is reported once the receiver accepts: signed, retried after failures, the same message id each time', async () => {
    receiver.failFirst(2);
    const sent = await send({ callback_url: receiver.url, format: 'webp' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const jobId = sent.body.job_id!;
    const view = await delivered(jobId);
    assert.equal(view.callback?.state, 'delivered', JSON.stringify(view.callback));
    assert.equal(view.callback?.attempts, 3);
    assert.equal(view.callback?.url, receiver.url);
    assert.ok(view.callback?.delivered_at);
    const mine = receiver.of(jobId);
    assert.deepEqual(mine.map((d) => d.answered), [500, 500, 204]);
    // Every attempt verifies (fresh timestamp, same id and body); the body is the job's done status.
    for (const d of mine) assert.ok(d.verified, 'the signature verifies with the standardwebhooks package');
    assert.equal(new Set(mine.map((d) => d.body)).size, 1);
    const body = mine[2]!.verified as unknown as StatusView;
    assert.equal(body.job_id, jobId);
    assert.equal(body.status, 'done');
    assert.equal(body.result_url, `https://cutout.example/result/${jobId}`);
    assert.equal(body.options?.format, 'webp');
    assert.equal(mine[0]!.headers['content-type'], 'application/json');
  });

  it('a failed job is reported with its error, and a canceled one with its status', async () => {
    cutter.failNext(1);
    const failed = await send({ callback_url: receiver.url });
    const failedView = await delivered(failed.body.job_id!);
    assert.equal(failedView.status, 'failed');
    assert.equal(receiver.of(failed.body.job_id!).at(-1)?.verified?.status, 'failed');
    assert.equal(receiver.of(failed.body.job_id!).at(-1)?.verified?.error_code, 'processing_error');

    cutter.hold();
    const busy = await send({});
    const queued = await send({ callback_url: receiver.url });
    const cancel = await fetch(`${stack.baseUrl}/jobs/${queued.body.job_id}`, { method: 'DELETE' });
    assert.equal(cancel.status, 200);
    cutter.proceed();
    await stack.waitFor(busy.body.job_id!);
    const canceledView = await delivered(queued.body.job_id!);
    assert.equal(canceledView.status, 'canceled');
    assert.equal(receiver.of(queued.body.job_id!).at(-1)?.verified?.status, 'canceled');
  });

  it('a receiver that never accepts ends the callback as failed with the last error, after every attempt', async () => {
    receiver.failFirst(100);
    const sent = await send({ callback_url: receiver.url });
    const view = await stack.waitFor(sent.body.job_id!, (v) => v.callback?.state === 'failed', 60_000);
    assert.equal(view.status, 'done', 'the job itself is unaffected');
    assert.equal(view.callback?.attempts, stack.config.WEBHOOK_ATTEMPTS);
    assert.match(view.callback?.last_error ?? '', /500/);
  });

  it('callback URLs that are not allowed are refused at upload, before anything is stored', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.8/hook', 'ftp://example.com/hook', 'http://[::ffff:127.0.0.2]:9/hook', 'not a url']) {
      const sent = await send({ callback_url: url });
      assert.equal(sent.status, 400, url);
      assert.equal(sent.body.error?.code, 'invalid_callback_url', url);
    }
  });
});
