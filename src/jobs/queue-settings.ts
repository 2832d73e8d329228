// The job queue's settings, from the configuration: its name, where its keys are, attempts, how
// long finished jobs are kept, and the replicas a new job must reach; and BullMQ's job defaults.
import type { JobsOptions } from 'bullmq';
import type { Config } from '../config.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import { lanesOf, type Lane } from './lanes.js';

export interface QueueSettings {
  name: string;
  /** Where its keys are (hash-tagged in a Redis Cluster). */
  keys: RedisKeys;
  attempts: number;
  /** How long finished jobs are kept (their records; files are cleaned separately). */
  ttlSeconds: number;
  /** One queue per model in MODELS, the default model's first (its name is `name`): lanes.ts. */
  lanes: Lane[];
  /** Replicas a new job must reach before enqueue() returns (REDIS_WAIT_REPLICAS); 0: none. */
  waitReplicas: number;
}

export function queueSettings(
  config: Pick<Config, 'QUEUE_NAME' | 'MODELS' | 'JOB_ATTEMPTS' | 'RESULT_TTL_MINUTES' | 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES' | 'REDIS_WAIT_REPLICAS'>,
): QueueSettings {
  return {
    name: config.QUEUE_NAME,
    keys: redisKeys(config.QUEUE_NAME, config),
    lanes: lanesOf(config.QUEUE_NAME, config.MODELS),
    attempts: config.JOB_ATTEMPTS,
    ttlSeconds: Math.round(config.RESULT_TTL_MINUTES * 60),
    waitReplicas: config.REDIS_WAIT_REPLICAS,
  };
}

export function defaultJobOptions(settings: QueueSettings): JobsOptions {
  return {
    attempts: settings.attempts,
    backoff: { type: 'exponential', delay: 1000 },
    // The cleanup job expires records at the TTL and leaves a tombstone; these are a backstop.
    removeOnComplete: { age: settings.ttlSeconds + 3600 },
    removeOnFail: { age: settings.ttlSeconds + 3600 },
  };
}
