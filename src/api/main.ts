// The api process: HTTP in front of the queue. It never runs the model.
import { loadConfigOrExit } from '../config.js';
import { runCleanup } from '../jobs/cleanup.js';
import { createRedis, JobQueue } from '../jobs/queue.js';
import { createLogger } from '../logger.js';
import { FsBlobStore } from '../storage/fs-store.js';
import { buildApp } from './app.js';
import { jobLinks } from './deps.js';
import { EventsHub } from './events-hub.js';

const config = loadConfigOrExit();
const logger = createLogger(config, 'api');

const connection = createRedis(config.REDIS_URL, 'producer');
const queue = new JobQueue(connection, {
  name: config.QUEUE_NAME,
  attempts: config.JOB_ATTEMPTS,
  ttlSeconds: Math.round(config.RESULT_TTL_MINUTES * 60),
});
const events = new EventsHub(
  config.QUEUE_NAME,
  createRedis(config.REDIS_URL, 'events'),
  { view: (id) => queue.view(id), resultUrl: (id) => jobLinks(config, id).result },
  (err) => logger.warn({ err }, 'queue events error'),
);
const store = new FsBlobStore(config.DATA_DIR);
const app = await buildApp({
  config,
  queue,
  events,
  store,
  logger,
  redis: connection,
  cleanup: () => runCleanup(queue, store, config.RESULT_TTL_MINUTES * 60_000, logger),
});

try {
  await app.listen({ host: config.HOST, port: config.PORT });
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api shutting down: draining open requests');
    const force = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_SECONDS * 1000);
    force.unref();
    app
      .close()
      .then(() => events.close())
      .then(() => queue.close())
      .then(() => connection.disconnect())
      .then(() => process.exit(0), () => process.exit(1));
  });
}
