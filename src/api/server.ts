// The api with its real dependencies (Redis queue, events hub, blob store), wired once for
// the api process and for the tests that run the real thing in-process.
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { BatchRecords } from '../jobs/batches.js';
import { cleanupWithConfig } from '../jobs/cleanup.js';
import { IdempotencyStore } from '../jobs/idempotency.js';
import { WebhookQueue, webhookSettings } from '../jobs/webhooks.js';
import { JobQueue, queueSettings } from '../jobs/queue.js';
import { createRedis } from '../jobs/redis-connection.js';
import { MaskEdits } from '../jobs/mask-edits.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createBlobStore } from '../storage/create.js';
import { buildApp } from './app.js';
import { jobLinks } from './deps.js';
import { EventsHub } from './events-hub.js';

export interface ApiServer {
  app: FastifyInstance;
  queue: JobQueue;
  events: EventsHub;
  store: BlobStore;
  /** Stops taking requests, drains open ones, then closes the Redis connections. */
  close(): Promise<void>;
}

export async function createApiServer(config: Config, logger: Logger): Promise<ApiServer> {
  const connection = createRedis(config, 'producer');
  const settings = queueSettings(config);
  const queue = new JobQueue(connection, settings);
  const events = new EventsHub(
    settings,
    createRedis(config, 'events'),
    { view: (id) => queue.view(id), resultUrl: (id) => jobLinks(config, id).result, ttlMinutes: config.RESULT_TTL_MINUTES },
    (err) => logger.warn({ err }, 'queue events error'),
  );
  const store = await createBlobStore(config);
  const webhooks = new WebhookQueue(connection, webhookSettings(config));
  const app = await buildApp({
    config,
    queue,
    events,
    store,
    logger,
    redis: connection,
    idempotency: new IdempotencyStore(connection, settings.keys),
    webhooks,
    batches: new BatchRecords(connection, settings),
    masks: new MaskEdits(connection, queue),
    cleanup: () => cleanupWithConfig(config, queue, store, logger),
  });
  return {
    app,
    queue,
    events,
    store,
    async close() {
      await app.close();
      await events.close();
      await webhooks.close();
      await queue.close();
      connection.disconnect();
      store.close?.();
    },
  };
}
