// The worker process: loads the model once, then takes jobs from Redis until told to stop.
import { loadConfigOrExit } from '../config.js';
import { createLogger } from '../logger.js';
import { createBlobStore } from '../storage/create.js';
import { startWorker } from './worker.js';
import { lowerPriority } from './priority.js';
import { allocatorAdvice } from './glibc-tunables.js';

const config = loadConfigOrExit();
const logger = createLogger(config, 'worker');
lowerPriority(config.WORKER_NICE, logger);
const advice = allocatorAdvice(config.GLIBC_TUNABLES);
if (advice) logger.warn(advice);

try {
  const running = await startWorker(config, await createBlobStore(config), logger);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      running.shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
} catch (err) {
  logger.fatal({ err }, 'worker failed to start');
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200).unref();
}
