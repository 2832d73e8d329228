// What the api needs from the outside world, passed in so tests can build the real app.
import type { Config } from '../config.js';
import type { Redis } from 'ioredis';
import type { BatchRecords } from '../jobs/batches.js';
import type { CleanupReport } from '../jobs/cleanup.js';
import type { JobQueue } from '../jobs/queue.js';
import type { EventsHub } from './events-hub.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';

export interface ApiDeps {
  config: Config;
  queue: Pick<JobQueue, 'enqueue' | 'view' | 'ping' | 'cancel' | 'failed' | 'counts' | 'workerCount' | 'cacheLookup' | 'writeCachedJob'>;
  /** Runs the TTL cleanup now (POST /admin/cleanup); absent where there is no real queue. */
  cleanup?: () => Promise<CleanupReport>;
  /** Redis for shared rate-limit counters across api replicas. */
  redis?: Redis;
  /** Live events (SSE); absent in tests that run without Redis. */
  events?: EventsHub;
  /** Batch records (POST /batches and the batch routes); absent in tests that run without Redis. */
  batches?: Pick<BatchRecords, 'create' | 'read'>;
  store: BlobStore;
  logger: Logger;
}

/** Links to a job's resources: absolute when PUBLIC_URL is set, else relative to the api. */
export function jobLinks(config: Pick<Config, 'PUBLIC_URL'>, jobId: string) {
  const base = config.PUBLIC_URL.replace(/\/$/, '');
  return {
    status: `${base}/status/${jobId}`,
    result: `${base}/result/${jobId}`,
    events: `${base}/events/${jobId}`,
  };
}
