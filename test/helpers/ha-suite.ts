// What every Redis mode must do for a user, end to end (api + worker, stand-in cutter): a job
// followed over SSE to its result, Idempotency-Key replays, a batch, cancel (queued and in
// flight), a signed webhook, the upload rate limit, and the TTL cleanup. The Cluster and Sentinel test files run it
// against their Redis set.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BatchAccepted, BatchStatus } from '../../src/jobs/batch-contract.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { runCleanup } from '../../src/jobs/cleanup.js';
import { subjectOnBackground } from './images.js';
import { upload } from './multipart.js';
import type { TestRedisSet } from '../../tools/redis-ha.js';
import { openSse } from './sse.js';
import { startStack, type Stack } from './stack.js';
import { standInCutter, type StandInCutter } from './stand-in.js';
import { SECRET, startReceiver } from './webhook-receiver.js';

/** Uploads allowed per minute and route: more than the suite's uploads to /remove-bg; the rate-limit test meets it on /batches. */
const RATE_LIMIT = 200;

export interface HaSuiteContext {
  stack: Stack;
  cutter: StandInCutter;
  photo: Buffer;
  /** Uploads the photo; resolves to the job id (asserts 202). */
  submit(headers?: Record<string, string>): Promise<string>;
}

/** Starts the Redis set and the stack on it, runs the shared checks, then `more` (tests of the mode's own), and stops everything. */
export function haSuite(name: string, startRedis: () => Promise<TestRedisSet>, more: (ctx: () => HaSuiteContext) => void = () => undefined) {
  describe(name, { timeout: 120_000 }, () => {
    let redis: TestRedisSet | undefined;
    let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
    let ctx: HaSuiteContext;
    before(async () => {
      redis = await startRedis();
      receiver = await startReceiver();
      const cutter = await standInCutter();
      // Two models, so two lanes (queues); the stand-in serves both (it names no model of its own).
      const env = { RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT), WEBHOOK_SECRET: SECRET, URL_FETCH_ALLOW_HOSTS: '127.0.0.1', MODELS: 'isnet-general-use,isnet-quint8' };
      const stack = await startStack({ workers: 1, cutter, redis, env });
      const photo = await subjectOnBackground(64, 48);
      const submit = async (headers: Record<string, string> = {}) => {
        const res = await upload(stack.baseUrl, photo, 'photo.jpg', headers);
        const body = (await res.json()) as { job_id: string };
        assert.equal(res.status, 202, JSON.stringify(body));
        return body.job_id;
      };
      ctx = { stack, cutter, photo, submit };
    });
    after(async () => {
      await ctx?.stack.stop();
      await receiver?.close();
      await redis?.cleanup();
    });
    const url = (path: string) => `${ctx.stack.baseUrl}${path}`;
    const status = async (id: string) => (await (await fetch(url(`/status/${id}`))).json()) as StatusView;

    it('a job runs end to end: live events over SSE, then its result', async () => {
      const id = await ctx.submit();
      const events = await (await openSse(url(`/events/${id}`))).collect();
      assert.equal(events.at(-1)?.event, 'done', JSON.stringify(events));
      const result = await fetch(url(`/result/${id}`));
      assert.equal(result.status, 200);
      assert.equal(result.headers.get('content-type'), 'image/png');
    });

    it('an Idempotency-Key retry answers the same job', async () => {
      const key = { 'idempotency-key': `ha-${Date.now()}` };
      const first = await ctx.submit(key);
      const again = await upload(ctx.stack.baseUrl, ctx.photo, 'photo.jpg', key);
      assert.equal(again.headers.get('idempotent-replayed'), 'true');
      assert.equal(((await again.json()) as { job_id: string }).job_id, first);
    });

    it('a webhook reports the job, signed, through the webhook queue', async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(ctx.photo)]), 'photo.jpg');
      form.append('callback_url', receiver!.url);
      const res = await fetch(url('/remove-bg'), { method: 'POST', body: form });
      const { job_id: id } = (await res.json()) as { job_id: string };
      const view = await ctx.stack.waitFor(id, (v) => v.callback?.state === 'delivered' || v.callback?.state === 'failed', 30_000);
      assert.equal(view.callback?.state, 'delivered');
      assert.ok(receiver!.of(id).some((d) => d.answered === 204), 'a delivery with a valid signature');
    });

    it('the result cache records a done job and finds it by photo and options', async () => {
      const id = await ctx.submit();
      assert.equal((await ctx.stack.waitFor(id)).status, 'done');
      await ctx.stack.queue.cacheRecord('photo-hash', 'png-full', id);
      assert.deepEqual(await ctx.stack.queue.cacheLookup('photo-hash', 'png-full'), { exact: id, mask: id });
      const other = await ctx.stack.queue.cacheLookup('photo-hash', 'webp-full');
      assert.equal(other.exact, undefined);
      assert.equal(other.mask, id);
    });

    it('a batch runs to the end and its ZIP downloads', async () => {
      const form = new FormData();
      for (const n of ['a', 'b', 'c']) form.append('file', new Blob([new Uint8Array(ctx.photo)]), `${n}.jpg`);
      const res = await fetch(url('/batches'), { method: 'POST', body: form });
      const batch = (await res.json()) as BatchAccepted;
      assert.equal(res.status, 202, JSON.stringify(batch));
      let state: BatchStatus;
      do {
        await new Promise((r) => setTimeout(r, 50));
        state = (await (await fetch(url(`/batches/${batch.batch_id}`))).json()) as BatchStatus;
      } while (state.status !== 'done');
      assert.deepEqual(state.counts, { ...state.counts, done: 3 });
      const zip = await fetch(url(`/batches/${batch.batch_id}/zip`));
      assert.equal(zip.status, 200);
      assert.ok((await zip.arrayBuffer()).byteLength > 0);
    });

    it('queued jobs know their place; one canceled in line, one canceled in flight', async () => {
      const worker = ctx.stack.workers[0]!.worker;
      await worker.pause();
      const [first, second] = [await ctx.submit(), await ctx.submit()];
      assert.deepEqual([(await status(first)).position, (await status(second)).position], [1, 2]);
      const queuedCancel = await fetch(url(`/jobs/${second}`), { method: 'DELETE' });
      assert.equal(((await queuedCancel.json()) as StatusView).status, 'canceled');
      ctx.cutter.hold();
      worker.resume();
      await ctx.cutter.parked();
      assert.equal((await fetch(url(`/jobs/${first}`), { method: 'DELETE' })).status, 202);
      ctx.cutter.proceed();
      assert.equal((await ctx.stack.waitFor(first)).status, 'canceled');
      assert.equal((await status(second)).status, 'canceled');
    });

    more(() => ctx);

    it(`the upload rate limit (${RATE_LIMIT} a minute) is counted in Redis`, async () => {
      // Counted before the body is read: empty requests (400) count too, and queue nothing.
      let refused: Response | undefined;
      for (let i = 0; i <= RATE_LIMIT && !refused; i++) {
        const res = await fetch(url('/batches'), { method: 'POST', body: new FormData() });
        if (res.status === 429) refused = res;
        else await res.body?.cancel();
      }
      assert.ok(refused, `no 429 within ${RATE_LIMIT + 1} requests`);
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, /Too many uploads/);
    });

    it('cleanup expires finished jobs: their files go, their status says so', async () => {
      const id = (await ctx.stack.queue.finishedJobsPage('completed', 0, 0))[0]!.id;
      const report = await runCleanup(ctx.stack.queue, ctx.stack.store, 0);
      assert.ok(report.expiredJobs >= 1, JSON.stringify(report));
      // (GET /status may answer from the api's 2 s cache of finished views; the queue says it at once.)
      const found = await ctx.stack.queue.view(id);
      assert.ok(found && 'reason' in found && found.reason === 'expired', JSON.stringify(found));
      // 410 expired, or 404 result_expired while the api still holds the done view: gone either way.
      assert.ok([404, 410].includes((await fetch(url(`/result/${id}`))).status));
    });
  });
}
