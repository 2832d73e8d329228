// The workers' ScaledObject counts the right keys: KEDA's redis scaler, run as KEDA runs it against
// a real Redis behind the real api and a worker, sees the jobs waiting, prioritized and in hand.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobData } from '../../src/jobs/contract.js';
import { JOB_NAME } from '../../src/jobs/contract.js';
import { subjectOnBackground } from '../helpers/images.js';
import { K8S_DIR, renderKustomization } from '../helpers/k8s.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { standInCutter, type StandInCutter } from '../helpers/stand-in.js';

// The count KEDA's redis scaler asks Redis for (kedacore/keda v2.20.2, pkg/scalers/redis_scaler.go,
// Apache-2.0): a sorted set by ZCARD, a set by SCARD, a hash by HLEN, a list (or nothing) by LLEN.
const KEDA_REDIS_LENGTH = `
  local listName = KEYS[1]
  local listType = redis.call('type', listName).ok
  if listType == 'zset' then return redis.call('zcard', listName)
  elseif listType == 'set' then return redis.call('scard', listName)
  elseif listType == 'hash' then return redis.call('hlen', listName)
  elseif listType == 'list' or listType == 'none' then return redis.call('llen', listName)
  else return redis.error_reply('ERR unsupported key type: ' .. listType) end`;

interface Trigger { type: string; name: string; metadata: Record<string, string> }
interface ScaledObjectSpec { triggers: Trigger[]; advanced: { scalingModifiers: { formula: string; target: string } } }

const objects = renderKustomization(path.join(K8S_DIR, 'base'));
const scaled = objects.find((o) => o.kind === 'ScaledObject')!.spec as ScaledObjectSpec;
const queueName = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'cutout-config')!.data!.QUEUE_NAME!;

describe('the workers\' KEDA trigger', () => {
  let stack: Stack;
  let cutter: StandInCutter;
  let redis: Redis;
  let bull: Queue;
  before(async () => {
    cutter = await standInCutter();
    stack = await startStack({ workers: 1, cutter, env: { WORKER_CONCURRENCY: '1' } });
    redis = new Redis(stack.redisUrl);
    bull = new Queue(stack.config.QUEUE_NAME, { connection: redis });
  });
  after(async () => {
    cutter.proceed();
    await bull.close();
    redis.disconnect();
    await stack.stop();
  });

  /** What KEDA computes: each trigger's count on this stack's queue, and the formula's sum of them. */
  async function kedaSees(): Promise<{ total: number } & Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const t of scaled.triggers) {
      const key = t.metadata.listName!.replace(`:${queueName}:`, `:${stack.config.QUEUE_NAME}:`);
      counts[t.name] = Number(await redis.eval(KEDA_REDIS_LENGTH, 1, key));
    }
    const total = scaled.advanced.scalingModifiers.formula.split('+').reduce((sum, name) => sum + counts[name.trim()]!, 0);
    return { ...counts, total };
  }

  it('names BullMQ\'s keys of the queue the ConfigMap sets, and adds them up in its formula', () => {
    const named = new Queue(queueName, { connection: redis });
    const keys = named.keys;
    void named.close();
    assert.deepEqual(Object.fromEntries(scaled.triggers.map((t) => [t.name, t.metadata.listName])), {
      waiting: keys.wait,
      prioritized: keys.prioritized,
      active: keys.active,
    });
    for (const t of scaled.triggers) {
      assert.equal(t.type, 'redis');
      for (const k of Object.keys(t.metadata)) assert.ok(['listName', 'listLength', 'activationListLength', 'enableTLS', 'databaseIndex'].includes(k), `KEDA's redis scaler reads ${k}`);
    }
    assert.match(scaled.advanced.scalingModifiers.formula, /^\w+( \+ \w+)*$/, 'a sum of trigger names');
    assert.equal(scaled.advanced.scalingModifiers.target, '1', 'one job per worker (WORKER_CONCURRENCY=1)');
  });

  it('counts a job in hand, a waiting job and a prioritized one, and nothing once they are done', async () => {
    assert.deepEqual(await kedaSees(), { waiting: 0, prioritized: 0, active: 0, total: 0 });
    cutter.hold();
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await stack.upload(await subjectOnBackground(64 + i, 48), `photo-${i}.jpg`);
      assert.equal(res.status, 202);
      ids.push(((await res.json()) as { job_id: string }).job_id);
    }
    await cutter.parked();
    // The api never sets a priority; a job that had one would sit in the sorted set.
    const waiting = await Job.fromId<JobData>(bull, ids[1]!);
    const prioritizedId = randomUUID();
    await bull.add(JOB_NAME, waiting!.data, { jobId: prioritizedId, priority: 1 });
    assert.deepEqual(await kedaSees(), { waiting: 1, prioritized: 1, active: 1, total: 3 });
    cutter.proceed();
    for (const id of ids) assert.equal((await stack.waitFor(id)).status, 'done');
    // The copy ends too (failed: its input is stored under the original job's id).
    await stack.waitFor(prioritizedId);
    assert.deepEqual(await kedaSees(), { waiting: 0, prioritized: 0, active: 0, total: 0 });
  });
});
