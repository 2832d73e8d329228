// What the api needs from the outside world, passed in so tests can build the real app.
import type { Config } from '../config.js';
import type { BatchRecords } from '../jobs/batches.js';
import type { CleanupReport } from '../jobs/cleanup.js';
import type { IdempotencyStore } from '../jobs/idempotency.js';
import type { WebhookQueue } from '../jobs/webhooks.js';
import type { JobQueue } from '../jobs/queue.js';
import type { MaskEdits } from '../jobs/mask-edits.js';
import type { EventsHub } from './events-hub.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../jobs/redis-connection.js';
import type { BlobStore } from '../storage/blob-store.js';

export interface ApiDeps {
  config: Config;
  queue: Pick<JobQueue, 'enqueue' | 'view' | 'ping' | 'cancel' | 'failed' | 'counts' | 'laneCounts' | 'workerCount' | 'cacheLookup' | 'writeCachedJob' | 'enqueueMask' | 'getJob' | 'cacheForget' | 'readTombstone'>;
  /** The mask editor's edit lock; absent in tests that run without Redis (the editor's routes then answer 503). */
  masks?: Pick<MaskEdits, 'begin' | 'end'>;
  /** Runs the TTL cleanup now (POST /admin/cleanup); absent where there is no real queue. */
  cleanup?: () => Promise<CleanupReport>;
  /** Redis for shared rate-limit counters across api replicas. */
  redis?: RedisClient;
  /** Live events (SSE); absent in tests that run without Redis. */
  events?: EventsHub;
  /** Batch records (POST /batches and the batch routes); absent in tests that run without Redis. */
  batches?: Pick<BatchRecords, 'create' | 'read' | 'noteEnded'>;
  store: BlobStore;
  logger: Logger;
  /** Idempotency-Key records; absent in tests that run without Redis (the header is then not honoured). */
  idempotency?: IdempotencyStore;
  /** Webhook deliveries (callback_url): asked for when the api ends a job itself (cancel, cache hit); their state for the status. */
  webhooks?: Pick<WebhookQueue, 'request' | 'state'>;
}

export { jobLinks } from '../jobs/links.js';
