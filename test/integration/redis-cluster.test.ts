// Cutout on a real 3-master Redis Cluster: everything a user does works, and each queue's keys
// share one slot (the hash tag in src/jobs/redis-keys.ts), every lane's (a queue per model) too, so BullMQ's
// scripts and ours never cross slots.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Cluster } from 'ioredis';
import { haSuite } from '../helpers/ha-suite.js';
import { openSse } from '../helpers/sse.js';
import { startTestCluster } from '../../tools/redis-ha.js';

haSuite('on a Redis Cluster (3 masters)', startTestCluster, (ctx) => {
  it('a job for the other model runs in its own lane (a queue of its own), found by id for status and events', async () => {
    const { stack, photo } = ctx();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(photo)]), 'photo.jpg');
    form.append('model', 'isnet-quint8');
    const res = await fetch(`${stack.baseUrl}/remove-bg`, { method: 'POST', body: form });
    assert.equal(res.status, 202, await res.clone().text());
    const { job_id } = (await res.json()) as { job_id: string };
    const events = await (await openSse(`${stack.baseUrl}/events/${job_id}`)).collect();
    assert.equal(events.at(-1)?.event, 'done', JSON.stringify(events));
    const view = await stack.waitFor(job_id);
    assert.deepEqual([view.status, view.options?.model], ['done', 'isnet-quint8']);
    assert.equal((await stack.queue.getJob(job_id))?.queueName, `${stack.config.QUEUE_NAME}.isnet-quint8`);
  });

  it("every key of the queue, BullMQ's and Cutout's, is in one slot", async () => {
    const { stack } = ctx();
    const nodes = stack.config.REDIS_CLUSTER_NODES;
    const cluster = new Cluster(nodes, { scaleReads: 'master' });
    try {
      await cluster.ping(); // connected: the masters are known
      const keys: string[] = [];
      for (const node of cluster.nodes('master')) {
        for (let cursor = '0'; ; ) {
          const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
          keys.push(...batch.filter((k) => k.includes(stack.config.QUEUE_NAME)));
          if ((cursor = next) === '0') break;
        }
      }
      assert.ok(keys.some((k) => k.startsWith('bull:')) && keys.some((k) => k.startsWith('cutout:')), keys.join(' '));
      assert.ok(keys.some((k) => k.includes(`:${stack.config.QUEUE_NAME}.isnet-quint8:`)), 'the other lane\'s keys are among them');
      const slots = new Set(await Promise.all(keys.map((k) => cluster.cluster('KEYSLOT', k))));
      assert.equal(slots.size, 1, `${keys.length} keys in slots ${[...slots].join(', ')}`);
    } finally {
      cluster.disconnect();
    }
  });
});
