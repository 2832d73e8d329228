// Builds a running worker from its parts, so tests and main.ts start it the same way.
import { Queue, Worker } from 'bullmq';
import { runCleanup } from '../jobs/cleanup.js';
import type { Config } from '../config.js';
import { pipelineOptions } from '../config.js';
import { CutoutPipeline } from '../cutout/pipeline.js';
import type { JobData, JobResult } from '../jobs/contract.js';
import { createRedis, JobQueue, queueSettings } from '../jobs/queue.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createRegistry, workerMetrics } from '../metrics.js';
import { startHealthServer } from './health-server.js';
import { createRemoveBgProcessor } from './remove-bg.processor.js';

export interface RunningWorker {
  worker: Worker<JobData, JobResult>;
  pipeline: CutoutPipeline;
  /** Stops taking jobs, waits up to the grace period for jobs in hand, then closes. */
  shutdown(): Promise<void>;
}

export async function startWorker(config: Config, store: BlobStore, logger: Logger): Promise<RunningWorker> {
  const t0 = performance.now();
  // Cancel requests and processing times live beside the queue; a separate connection, so these
  // small commands never wait behind the worker's own.
  const side = createRedis(config.REDIS_URL, 'worker');
  const jobs = new JobQueue(side, queueSettings(config));
  const registry = createRegistry('worker');
  const metrics = workerMetrics(registry);
  let state: { ok: boolean; reason?: string } = { ok: false, reason: 'loading the model' };
  const health = startHealthServer(config.WORKER_METRICS_PORT, registry, {
    async ready() {
      if (!state.ok) return state;
      return (await jobs.ping().catch(() => false)) ? state : { ok: false, reason: 'Redis is not reachable' };
    },
  }, logger);
  const pipeline = await CutoutPipeline.create(pipelineOptions(config));
  logger.info(
    { model: pipeline.model.spec.name, threads: config.INFERENCE_THREADS, ms: Math.round(performance.now() - t0) },
    'model loaded',
  );

  const connection = createRedis(config.REDIS_URL, 'worker');
  const processor = createRemoveBgProcessor({
    cutter: { modelName: pipeline.model.spec.name, process: (input, hook) => pipeline.process(input, hook) },
    store,
    logger,
    isCanceled: (id) => jobs.isCancelRequested(id),
    metrics,
  });
  const worker = new Worker<JobData, JobResult>(config.QUEUE_NAME, processor, {
    connection,
    concurrency: config.WORKER_CONCURRENCY,
    // A job in hand keeps its lock renewed; a worker killed mid-job loses it within
    // JOB_LOCK_SECONDS and the job is handed to another worker.
    lockDuration: config.JOB_LOCK_SECONDS * 1000,
    stalledInterval: (config.JOB_LOCK_SECONDS * 1000) / 2,
    maxStalledCount: 2,
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('completed', (job) => {
    const t = job.returnvalue?.timings;
    if (t) void jobs.recordDuration(Object.values(t).reduce((a, b) => a + b, 0)).catch(() => undefined);
  });
  worker.on('failed', (job, err) => {
    if (job) logger.info({ jobId: job.id, attempt: job.attemptsMade, reason: err.message }, 'job attempt ended in failure');
  });
  // Cleanup runs on the workers through a BullMQ job scheduler: one job per interval across all
  // workers, whichever takes it.
  const maintenanceName = `${config.QUEUE_NAME}-maintenance`;
  const maintenance = new Queue(maintenanceName, { connection: side });
  await maintenance.upsertJobScheduler(
    'cleanup',
    { every: config.CLEANUP_INTERVAL_SECONDS * 1000 },
    { name: 'cleanup', opts: { removeOnComplete: true, removeOnFail: 50 } },
  );
  const cleanerConnection = createRedis(config.REDIS_URL, 'worker');
  const cleaner = new Worker(maintenanceName, () => runCleanup(jobs, store, config.RESULT_TTL_MINUTES * 60_000, logger), {
    connection: cleanerConnection,
    concurrency: 1,
  });
  cleaner.on('error', (err) => logger.error({ err }, 'cleanup worker error'));
  await worker.waitUntilReady();
  state = { ok: true };
  logger.info({ queue: config.QUEUE_NAME, concurrency: config.WORKER_CONCURRENCY }, 'worker ready');

  let closing: Promise<void> | undefined;
  const shutdown = () =>
    (closing ??= (async () => {
      logger.info({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'worker shutting down: finishing jobs in hand');
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close();
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), config.SHUTDOWN_GRACE_SECONDS * 1000);
      });
      if (await Promise.race([graceful.then(() => false), timedOut])) {
        logger.warn('grace period over: handing the jobs in hand back to the queue');
        await worker.close(true);
      }
      clearTimeout(timer);
      state = { ok: false, reason: 'shutting down' };
      health?.close();
      await cleaner.close();
      await maintenance.close();
      cleanerConnection.disconnect();
      await pipeline.release();
      await jobs.close();
      connection.disconnect();
      side.disconnect();
    })());
  return { worker, pipeline, shutdown };
}
