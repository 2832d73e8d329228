// Cutout on a real 3-master Redis Cluster: everything a user does works, and each queue's keys
// share one slot (the hash tag in src/jobs/redis-keys.ts), so BullMQ's scripts and ours never cross slots.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Cluster } from 'ioredis';
import { haSuite } from '../helpers/ha-suite.js';
import { startTestCluster } from '../../tools/redis-ha.js';

haSuite('on a Redis Cluster (3 masters)', startTestCluster, (ctx) => {
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
      const slots = new Set(await Promise.all(keys.map((k) => cluster.cluster('KEYSLOT', k))));
      assert.equal(slots.size, 1, `${keys.length} keys in slots ${[...slots].join(', ')}`);
    } finally {
      cluster.disconnect();
    }
  });
});
