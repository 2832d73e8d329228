// `npm run cleanup`: delete expired jobs, their files and orphans now, then exit.
import { loadConfigOrExit } from '../config.js';
import { cleanupWithConfig } from '../jobs/cleanup.js';
import { JobQueue, queueSettings } from '../jobs/queue.js';
import { createRedis } from '../jobs/redis-connection.js';
import { createLogger } from '../logger.js';
import { createBlobStore } from '../storage/create.js';

const config = loadConfigOrExit();
const logger = createLogger(config, 'cleanup');
const connection = createRedis(config, 'producer');
const queue = new JobQueue(connection, queueSettings(config));
const store = await createBlobStore(config);
try {
  const report = await cleanupWithConfig(config, queue, store, logger);
  console.log(JSON.stringify(report));
} finally {
  await queue.close();
  connection.disconnect();
  store.close?.();
}
