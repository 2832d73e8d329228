// The api process: HTTP in front of the queue. It never runs the model.
import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';
import { describeRedis } from '../jobs/redis-connection.js';
import { createApiServer } from './server.js';

const config = loadConfigOrExit();
const logger = createLogger(config, 'api');
const server = await createApiServer(config, logger);

try {
  await server.app.listen({ host: config.HOST, port: config.PORT });
  logger.info({ redis: describeRedis(config) }, 'api listening');
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
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
