// The one place that turns the configuration into a Redis connection: a single node (REDIS_URL),
// a master found through Sentinels (REDIS_SENTINELS + REDIS_SENTINEL_NAME), or a Cluster
// (REDIS_CLUSTER_NODES). Every Redis user in Cutout gets its connection here, and its key names
// from redis-keys.ts.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';

/** A connection to Redis in any mode: BullMQ and ioredis commands accept both. */
export type RedisClient = Redis | Cluster;

export type RedisMode = 'single' | 'sentinel' | 'cluster';

export type RedisConfig = Pick<Config, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_CLUSTER_NODES' | 'REDIS_PASSWORD'>;

/** Sentinel or Cluster when their variable is set (they win over REDIS_URL); single otherwise. */
export function redisMode(config: Pick<RedisConfig, 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES'>): RedisMode {
  if (config.REDIS_CLUSTER_NODES.length > 0) return 'cluster';
  if (config.REDIS_SENTINELS.length > 0) return 'sentinel';
  return 'single';
}

/** Where Redis is, for logs: never the password. */
export function describeRedis(config: RedisConfig): string {
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (redisMode(config)) {
    case 'cluster':
      return `cluster ${list(config.REDIS_CLUSTER_NODES)}`;
    case 'sentinel':
      return `sentinel ${config.REDIS_SENTINEL_NAME} via ${list(config.REDIS_SENTINELS)}`;
    default: {
      const url = new URL(config.REDIS_URL);
      return `single ${url.host}`;
    }
  }
}

export type RedisRole = 'producer' | 'worker' | 'events';

/**
 * Workers and event readers block and must wait for Redis forever (maxRetriesPerRequest: null,
 * as BullMQ requires); the api fails fast so a request never hangs on a dead Redis.
 */
function roleOptions(role: RedisRole): RedisOptions {
  return role === 'producer'
    ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 }
    : { maxRetriesPerRequest: null };
}

/**
 * A master demoted by a failover answers writes with READONLY until the client reconnects;
 * reconnecting (2: and resending the command) finds the new master through the Sentinels.
 */
const reconnectOnReadonly = (err: Error) => (err.message.startsWith('READONLY') ? 2 : false);

/** A Redis connection for one role, in the configured mode. */
export function createRedis(config: RedisConfig, role: RedisRole): RedisClient {
  const opts = roleOptions(role);
  const password = config.REDIS_PASSWORD || undefined;
  let client: RedisClient;
  switch (redisMode(config)) {
    case 'cluster': {
      const { enableOfflineQueue, ...redisOptions } = opts;
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...redisOptions, password },
        enableOfflineQueue: enableOfflineQueue ?? true,
        // Reads go to masters: a replica may lag behind a job's state.
        scaleReads: 'master',
      };
      client = new Cluster(config.REDIS_CLUSTER_NODES, clusterOptions);
      break;
    }
    case 'sentinel':
      client = new Redis({
        ...opts,
        sentinels: config.REDIS_SENTINELS,
        name: config.REDIS_SENTINEL_NAME,
        password,
        sentinelPassword: password,
        // Told of a failover by the Sentinels at once, rather than at the next failed command.
        failoverDetector: true,
        reconnectOnError: reconnectOnReadonly,
      });
      break;
    default:
      client = new Redis(config.REDIS_URL, { ...opts, ...(password ? { password } : {}), reconnectOnError: reconnectOnReadonly });
  }
  // Connection errors are retried by ioredis and reported through readiness; an unhandled
  // 'error' event would crash the process.
  client.on('error', () => undefined);
  return client;
}
