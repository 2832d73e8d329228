// The Redis settings: which mode a configuration picks, the refusals that name what is wrong, and
// the key names each mode gives (single node and Sentinel keep the names Cutout always had).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { describeRedis, redisMode } from '../../src/jobs/redis-connection.js';
import { redisKeys } from '../../src/jobs/redis-keys.js';

describe('Redis modes', () => {
  it('is a single node at REDIS_URL unless told otherwise; empty variables are unset', () => {
    const c = loadConfig({ REDIS_SENTINELS: '', REDIS_SENTINEL_NAME: '', REDIS_CLUSTER_NODES: '', REDIS_WAIT_REPLICAS: '' });
    assert.equal(redisMode(c), 'single');
    assert.equal(describeRedis(c), 'single 127.0.0.1:6379');
    assert.equal(c.REDIS_WAIT_REPLICAS, 0);
  });

  it('reads Sentinels and Cluster nodes as host:port lists (IPv6 in brackets); they win over REDIS_URL', () => {
    const s = loadConfig({ REDIS_URL: 'redis://redis:6379', REDIS_SENTINELS: 's1:26379, 10.0.0.2:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' });
    assert.equal(redisMode(s), 'sentinel');
    assert.deepEqual(s.REDIS_SENTINELS, [{ host: 's1', port: 26379 }, { host: '10.0.0.2', port: 26379 }, { host: '::1', port: 26380 }]);
    assert.equal(describeRedis(s), 'sentinel mymaster via s1:26379,10.0.0.2:26379,::1:26380');
    const c = loadConfig({ REDIS_URL: 'redis://redis:6379', REDIS_CLUSTER_NODES: 'redis-0:6379,redis-1:6379' });
    assert.equal(redisMode(c), 'cluster');
    assert.deepEqual(c.REDIS_CLUSTER_NODES.map((n) => n.port), [6379, 6379]);
  });

  for (const [env, pattern] of [
    [{ REDIS_SENTINELS: 'sentinel-1' }, /REDIS_SENTINELS=.*"sentinel-1" is not host:port/],
    [{ REDIS_CLUSTER_NODES: 'a:6379,b:99999' }, /REDIS_CLUSTER_NODES=.*"b:99999" is not host:port/],
    [{ REDIS_SENTINELS: 's:26379' }, /REDIS_SENTINELS needs REDIS_SENTINEL_NAME/],
    [{ REDIS_SENTINEL_NAME: 'mymaster' }, /REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not/],
    [{ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'c:6379' }, /both set: choose one/],
    [{ REDIS_CLUSTER_NODES: 'c:6379', REDIS_WAIT_REPLICAS: '1' }, /REDIS_WAIT_REPLICAS works with a single node or Sentinel/],
  ] as const) {
    it(`refuses ${JSON.stringify(env)}, saying why`, () => {
      assert.throws(() => loadConfig(env), (err: Error) => err instanceof ConfigError && pattern.test(err.message));
    });
  }
});

describe('Redis key names', () => {
  it('single node and Sentinel: the names existing deployments have (bull:<queue>…, cutout:<queue>:…)', () => {
    for (const env of [{}, { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }]) {
      const keys = redisKeys('remove-bg', loadConfig(env));
      assert.equal(keys.bullPrefix, 'bull');
      assert.equal(keys.own('batch', 'b1'), 'cutout:remove-bg:batch:b1');
    }
  });

  it("Cluster: one hash tag per queue, in BullMQ's prefix and Cutout's own keys", () => {
    const keys = redisKeys('remove-bg', loadConfig({ REDIS_CLUSTER_NODES: 'c:6379' }));
    assert.equal(keys.bullPrefix, 'bull:{remove-bg}');
    assert.equal(keys.own('gone', 'j1'), 'cutout:{remove-bg}:gone:j1');
    assert.equal(redisKeys('other', loadConfig({ REDIS_CLUSTER_NODES: 'c:6379' })).own('x'), 'cutout:{other}:x');
  });
});
