// Cutout behind Redis Sentinel (a master, a replica, three Sentinels): everything a user does
// works, and a failover in the middle of a run of jobs loses none of them. BullMQ is
// at-least-once: a job in hand when the master changes may run again; the test counts those.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { haSuite } from '../helpers/ha-suite.js';
import { startTestSentinel, type TestSentinelSet } from '../../tools/redis-ha.js';

const RUN = 40;

let sentinel: TestSentinelSet;

haSuite('behind Redis Sentinel (master, replica, 3 Sentinels)', async () => (sentinel = await startTestSentinel()), (ctx) => {
  it(`a failover in the middle of ${RUN} jobs: every job ends done, none lost`, async (t) => {
    const { stack, cutter, submit } = ctx();
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
    for (;;) {
      const counts = await stack.queue.counts();
      if ((counts.completed ?? 0) >= RUN / 4) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const { from, to } = await sentinel.failover();
    assert.notEqual(from, to);
    const ends = await Promise.all(ids.map((id) => stack.waitFor(id, undefined, 60_000)));
    const statuses = ends.map((v) => v.status);
    assert.deepEqual(statuses, ids.map(() => 'done'), `every job done: ${JSON.stringify(statuses)}`);
    // Jobs the old master saw finish after the replica took over, and the ones in hand, run again.
    t.diagnostic(`failover ${from} → ${to}; ran twice: ${cutter.calls - callsBefore - RUN} of ${RUN}`);
    assert.ok(cutter.calls - callsBefore >= RUN);
    // New uploads go to the new master.
    assert.equal((await stack.waitFor(await submit())).status, 'done');
  });
});
