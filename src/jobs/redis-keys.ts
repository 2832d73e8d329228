// The one place that names Cutout's Redis keys. Every key of one queue (QUEUE_NAME) — BullMQ's
// for the job queue and its companions (webhooks, maintenance), and Cutout's own beside them —
// starts with one of two prefixes:
//
//   single node, Sentinel   bull:<queue>…      cutout:<queue>:<kind>…   (as Cutout always had)
//   Cluster                 bull:{<queue>}…    cutout:{<queue>}:<kind>…
//
// In a Cluster the braces are a hash tag: only `<queue>` is hashed, so every key of a queue lives
// in one slot, on one master. BullMQ's Lua scripts and Cutout's status script (status-script.ts)
// read several keys at once and MULTI groups several writes; both need their keys in one slot.
// Different queues hash apart, so several queues spread over the masters.
import { REDIS_KEY_PREFIX } from '../vocabulary.js';
import { redisMode, type RedisConfig } from './redis-connection.js';

/** BullMQ's own default prefix, kept for single node and Sentinel so existing queues are found. */
const BULL_PREFIX = 'bull';

export interface RedisKeys {
  /** The queue (QUEUE_NAME) these keys belong to. */
  readonly queue: string;
  /** BullMQ's `prefix` option for this queue and its companion queues. */
  readonly bullPrefix: string;
  /** One of Cutout's own keys: `cutout:<queue>:<part>:<part>…` (hash-tagged in a Cluster). */
  own(...parts: string[]): string;
}

export function redisKeys(queue: string, config: Pick<RedisConfig, 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES'>): RedisKeys {
  const tag = redisMode(config) === 'cluster' ? `{${queue}}` : queue;
  const ownPrefix = `${REDIS_KEY_PREFIX}:${tag}`;
  return {
    queue,
    bullPrefix: tag === queue ? BULL_PREFIX : `${BULL_PREFIX}:${tag}`,
    own: (...parts) => [ownPrefix, ...parts].join(':'),
  };
}
