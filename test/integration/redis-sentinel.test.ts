// Cutout behind Redis Sentinel (a master, its replica, three Sentinels), with
// REDIS_WAIT_REPLICAS=1 (every replica): everything a user does works, and a failover in the middle of a run of
// jobs, with uploads still arriving, loses none that was answered 202. BullMQ is at-least-once:
// a job in hand when the master changes may run again; the test reports how many did.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { haSuite } from '../helpers/ha-suite.js';
import { upload } from '../helpers/multipart.js';
import { startTestSentinel, type TestSentinelSet } from '../../tools/redis-ha.js';

const RUN = 40;

let sentinel: TestSentinelSet;
const start = async () => {
  sentinel = await startTestSentinel();
  // A job whose end the old master swallowed runs again when its lock expires: the shortest lock keeps the test short.
  return { ...sentinel, env: { ...sentinel.env, REDIS_WAIT_REPLICAS: '1', JOB_LOCK_SECONDS: '10' } };
};

haSuite('behind Redis Sentinel (master, replica, 3 Sentinels)', start, (ctx) => {
  it(`a failover in the middle of ${RUN} jobs, uploads arriving: every upload answered 202 ends done`, async (t) => {
    const { stack, cutter, submit, photo } = ctx();
    // Slow enough (50 ms a job, 2 s a run) that the failover lands mid-run.
    const process = cutter.process.bind(cutter);
    cutter.process = async (...args) => {
      await new Promise((r) => setTimeout(r, 50));
      return process(...args);
    };
    const worker = stack.workers[0]!.worker;
    await worker.pause();
    const ids: string[] = [];
    for (let i = 0; i < RUN; i++) ids.push(await submit());
    const callsBefore = cutter.calls;
    worker.resume();
    while (((await stack.queue.counts()).completed ?? 0) < RUN / 4) await new Promise((r) => setTimeout(r, 10));
    // Uploads go on through the switch; a refused one (503 while no replica confirms) is retried.
    let switching = true;
    let refused = 0;
    const during = (async () => {
      while (switching) {
        const res = await upload(stack.baseUrl, photo, 'during.jpg').catch(() => null);
        if (res?.status === 202) ids.push(((await res.json()) as { job_id: string }).job_id);
        else {
          refused++;
          assert.ok(!res || res.status === 503, `refused with ${res?.status}`);
          await res?.body?.cancel();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const { from, to } = await sentinel.failover();
    switching = false;
    await during;
    assert.notEqual(from, to);
    const ends = await Promise.all(ids.map((id) => stack.waitFor(id, undefined, 60_000)));
    const notDone = ends.filter((v) => v.status !== 'done').map((v) => `${v.job_id}: ${v.status}`);
    assert.deepEqual(notDone, [], `${ids.length} jobs`);
    t.diagnostic(`failover ${from} → ${to}; ${ids.length} jobs, ${ids.length - RUN} uploaded during it, ${refused} uploads refused; ran twice: ${cutter.calls - callsBefore - ids.length}`);
    assert.ok(cutter.calls - callsBefore >= ids.length);
    // New uploads go to the new master, accepted again once the old one has rejoined as its
    // replica (the Sentinels reconfigure it within about 10 s); refused (503) until then.
    let after: Response | null = null;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
      after = await upload(stack.baseUrl, photo, 'after.jpg');
      if (after.status === 202) break;
      assert.equal(after.status, 503);
      await after.body?.cancel();
    }
    assert.equal(after?.status, 202);
    assert.equal((await stack.waitFor(((await after!.json()) as { job_id: string }).job_id)).status, 'done');
  });
});
