// The queue on real Redis, without the model: a stand-in cutter whose speed the test controls.
// Runs in seconds. It exercises the status script, so a BullMQ upgrade that changes the key
// layout fails here first.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { UnrecoverableError, Worker } from 'bullmq';
import { WebSocket } from 'ws';
import { toHttpError } from '../../src/api/http-errors.js';
import { createApiServer } from '../../src/api/server.js';
import { loadView } from '../../src/api/services/jobs.js';
import { jobExpired } from '../../src/errors.js';
import { CLEANUP_BATCH, runCleanup } from '../../src/jobs/cleanup.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { JobQueue, queueSettings, type Tombstone } from '../../src/jobs/queue.js';
import { createRedis } from '../../src/jobs/redis-connection.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { startTestRedis } from '../helpers/redis.js';
import { openSse } from '../helpers/sse.js';
import { jobData, silentLogger, startQueueHarness, testConfig, viewOf, type QueueHarness } from '../helpers/stand-in.js';

const isTombstone = (found: StatusView | Tombstone | null): found is Tombstone => !!found && 'reason' in found;
const statusIs = (status: string) => (found: StatusView | Tombstone | null) => viewOf(found)?.status === status;

describe('the queue without the model', { timeout: 120_000 }, () => {
  let redis: Awaited<ReturnType<typeof startTestRedis>>;
  let harness: QueueHarness | undefined;
  before(async () => {
    redis = await startTestRedis();
  });
  afterEach(async () => {
    await harness?.stop();
    harness = undefined;
  });
  after(() => redis?.cleanup());

  it('goes queued (positions 1..n in order) → processing → done', async () => {
    const h = (harness = await startQueueHarness(redis.url));
    await h.running.worker.pause();
    const ids = [await h.submit('a.png'), await h.submit('b.png'), await h.submit('c.png')];
    const views = (await Promise.all(ids.map((id) => h.queue.view(id)))).map(viewOf);
    assert.deepEqual(views.map((v) => v?.status), ['queued', 'queued', 'queued']);
    assert.deepEqual(views.map((v) => v?.position), [1, 2, 3]);
    h.cutter.hold();
    h.running.worker.resume();
    await h.cutter.parked();
    const processing = viewOf(await h.waitFor(ids[0]!, statusIs('processing')))!;
    assert.equal(processing.progress?.stage, 'inference');
    assert.ok(processing.started_at);
    assert.deepEqual((await Promise.all(ids.slice(1).map((id) => h.queue.view(id)))).map((f) => viewOf(f)?.position), [1, 2]);
    h.cutter.proceed();
    for (const id of ids) {
      const done = viewOf(await h.waitFor(id, statusIs('done')))!;
      assert.deepEqual([done.attempts, done.width, done.height, done.progress?.percent], [1, 40, 30, 100]);
      assert.ok(done.created_at && done.started_at && done.finished_at);
      assert.equal(await h.store.hasResult(id), true);
    }
    assert.equal(h.cutter.calls, 3);
  });

  it('cancels a queued job: removed, a canceled tombstone with its view, loadView says canceled', async () => {
    const h = (harness = await startQueueHarness(redis.url));
    await h.running.worker.pause();
    const id = await h.submit('queued.png');
    const before = viewOf(await h.queue.view(id))!;
    assert.equal(await h.queue.cancel(id), 'canceled');
    const found = await h.queue.view(id);
    assert.ok(isTombstone(found), JSON.stringify(found));
    assert.equal(found.reason, 'canceled');
    assert.equal(found.view.status, 'canceled');
    assert.deepEqual(
      [found.view.filename, found.view.width, found.view.height, found.view.created_at, found.view.position],
      [before.filename, before.width, before.height, before.created_at, undefined],
    );
    assert.ok(found.view.finished_at);
    assert.equal((await loadView({ config: h.config, queue: h.queue }, id)).status, 'canceled');
    assert.equal(await h.queue.cancel(id), 'finished');
  });

  it('cancels a job in flight at the next stage boundary', async () => {
    const h = (harness = await startQueueHarness(redis.url));
    h.cutter.hold();
    const id = await h.submit();
    await h.waitFor(id, statusIs('processing'));
    assert.equal(await h.queue.cancel(id), 'canceling');
    h.cutter.proceed();
    const end = viewOf(await h.waitFor(id, statusIs('canceled')))!;
    assert.equal(end.attempts, 1);
    assert.equal(await h.store.hasResult(id), false);
    assert.equal(await h.queue.cancel(id), 'finished');
  });

  it('retries a transient failure, and counts the attempts', async () => {
    const h = (harness = await startQueueHarness(redis.url));
    h.cutter.failNext(1);
    const id = await h.submit();
    // Between the attempts the job waits for its retry (BullMQ delayed): queued again.
    await h.waitFor(id, (found) => viewOf(found)?.status === 'queued' && viewOf(found)?.attempts === 1);
    const done = viewOf(await h.waitFor(id, statusIs('done')))!;
    assert.equal(done.attempts, 2);
    assert.equal(h.cutter.calls, 2);
  });

  it('expires a done job at the TTL: tombstone keeps its view, status and result answer 410, /events (SSE, WebSocket) ends with expired', async () => {
    const h = (harness = await startQueueHarness(redis.url));
    const id = await h.submit('kept.png');
    const done = viewOf(await h.waitFor(id, statusIs('done')))!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const report = await runCleanup(h.queue, h.store, 1);
    assert.equal(report.expiredJobs, 1);
    assert.equal(await h.store.hasResult(id), false);
    const found = await h.queue.view(id);
    assert.ok(isTombstone(found), JSON.stringify(found));
    assert.equal(found.reason, 'expired');
    const { result_url: _url, ...last } = done;
    assert.deepEqual(found.view, last, 'the tombstone keeps the last view: status, times, size, name');
    await assert.rejects(loadView({ config: h.config, queue: h.queue }, id), (err: unknown) => {
      assert.equal(toHttpError(err)?.statusCode, 410);
      assert.equal(toHttpError(err)?.code, 'job_expired');
      return true;
    });

    const api = await createApiServer(h.config, silentLogger);
    try {
      await api.events.ready();
      await api.app.listen({ host: '127.0.0.1', port: 0 });
      const address = api.app.server.address();
      const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      for (const route of ['status', 'result']) {
        const res = await fetch(`${base}/${route}/${id}`);
        assert.equal(res.status, 410, route);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'job_expired');
      }
      const events = await (await openSse(`${base}/events/${id}`)).collect(undefined, 5000);
      assert.deepEqual(events, [
        { id: 'final', event: 'expired', data: { job_id: id, status: 'done', error: jobExpired(h.config.RESULT_TTL_MINUTES).message } },
      ]);
      assert.equal((await openSse(`${base}/events/${id}`, { 'last-event-id': 'final' })).status, 204);
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/events/${id}`);
      const messages: unknown[] = [];
      ws.on('message', (message) => messages.push(JSON.parse(String(message))));
      const code = await new Promise<number>((resolve) => ws.once('close', resolve));
      assert.equal(code, 1000);
      assert.deepEqual(messages, [{ id: 'final', event: 'expired', data: events[0]!.data }]);
    } finally {
      await api.close();
    }
  });

  it('keeps a job answered from the cache until the TTL (it has no queue record), then expires it like any other', async () => {
    const h = (harness = await startQueueHarness(redis.url));
    const source = await h.submit('source.png');
    const done = viewOf(await h.waitFor(source, statusIs('done')))!;
    const id = randomUUID();
    assert.equal(await h.store.copyResult(source, id), true);
    await h.queue.writeCachedJob({ ...done, job_id: id, cached: true, finished_at: new Date().toISOString() });
    // Its file is older than the orphan grace period, its record younger than the TTL: kept.
    const old = new Date(Date.now() - 20 * 60_000);
    await fs.utimes(path.join(h.config.DATA_DIR, 'results', `${id}.png`), old, old);
    const kept = await runCleanup(h.queue, h.store, 3_600_000);
    assert.equal(kept.orphanFiles, 0);
    assert.equal(await h.store.hasResult(id), true);
    assert.equal(viewOf(await h.queue.view(id))?.status, 'done');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const expired = await runCleanup(h.queue, h.store, 1);
    assert.ok(expired.expiredJobs >= 2, JSON.stringify(expired));
    assert.equal(await h.store.hasResult(id), false);
    const found = await h.queue.view(id);
    assert.ok(isTombstone(found) && found.reason === 'expired', JSON.stringify(found));
  });

  it(`cleans up more than 1000 finished jobs, ${CLEANUP_BATCH} at a time`, async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-queue-'));
    const config = testConfig(redis.url, dataDir);
    const connection = createRedis(config, 'producer');
    const queue = new JobQueue(connection, queueSettings(config));
    const store = new FsBlobStore(dataDir);
    const total = 1300;
    const ids: string[] = Array.from({ length: total }, () => randomUUID());
    const failing = new Set(ids.slice(0, 100));
    // Every third completed job keeps its result file: cleanup step 3 must walk past them.
    const withResult = new Set(ids.slice(100).filter((_, i) => i % 3 === 0));
    for (const id of withResult) await store.putResult(id, Buffer.from('png'));
    const workerConnection = createRedis(config, 'worker');
    const worker = new Worker(config.QUEUE_NAME, async (job) => {
      if (failing.has(job.id!)) throw new UnrecoverableError('bad image');
      return {};
    }, { connection: workerConnection, prefix: queue.settings.keys.bullPrefix, concurrency: 100 });
    try {
      for (let i = 0; i < total; i += 200) await Promise.all(ids.slice(i, i + 200).map((id) => queue.enqueue(id, jobData('x.png', 3))));
      for (let counts = await queue.counts(); counts.completed! + counts.failed! < total; counts = await queue.counts()) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await worker.close();
      // Step 3: completed jobs whose result file is gone, however many there are.
      const missing = await runCleanup(queue, store, 3_600_000);
      assert.equal(missing.jobsWithoutFiles, total - failing.size - withResult.size);
      assert.equal(missing.expiredJobs, 0);
      assert.equal((await queue.counts()).completed, withResult.size);
      // Step 1: every finished job past the TTL.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const expired = await runCleanup(queue, store, 1);
      assert.equal(expired.expiredJobs, withResult.size + failing.size);
      const counts = await queue.counts();
      assert.deepEqual([counts.completed, counts.failed], [0, 0]);
      assert.equal(((await queue.view(ids[0]!)) as Tombstone).reason, 'expired');
    } finally {
      await worker.close();
      workerConnection.disconnect();
      await queue.close();
      connection.disconnect();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
