// Builds a running worker from its parts, so tests and main.ts start it the same way: the probes
// (health server), the cutter (the model, or a stand-in), the remove-bg worker (one BullMQ worker
// per lane it serves: the models it has loaded), its advertisement of those models, and
// maintenance (scheduled cleanup). Each part returns its closer; shutdown runs them in order.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Queue, Worker } from 'bullmq';
import { cleanupWithConfig } from '../jobs/cleanup.js';
import type { Config } from '../config.js';
import type { Cutter } from '../cutout/pipeline.js';
import { MASK_JOB_NAME, type JobData, type JobResult, type MaskJobData } from '../jobs/contract.js';
import type { Job } from 'bullmq';
import { JobQueue, queueSettings } from '../jobs/queue.js';
import { createRedis, describeRedis, type RedisClient } from '../jobs/redis-connection.js';
import { WebhookQueue, webhookSettings } from '../jobs/webhooks.js';
import type { Logger } from '../logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import { createRegistry, workerMetrics, type WorkerMetrics } from '../metrics.js';
import { startHealthServer, type WorkerProbe } from './health-server.js';
import { createRemoveBgProcessor } from './remove-bg.processor.js';
import { createMaskProcessor } from './mask-edit.processor.js';
import { MaskEdits } from '../jobs/mask-edits.js';
import { webhookBody, webhookPost } from '../webhooks/post.js';
import { BatchRecords } from '../jobs/batches.js';
import { jobEnded } from '../jobs/job-ended.js';
import { startWebhookDelivery } from './webhook-delivery.js';
import { createEngine } from './engine.js';
import { startHeartbeat, workerModels, type Lane } from '../jobs/lanes.js';

export interface RunningWorker {
  /** The BullMQ worker of its first lane (the default model's, when it serves it). */
  worker: Worker<JobData, JobResult>;
  /** One BullMQ worker per lane it serves. */
  lanes: Worker<JobData, JobResult>[];
  /** The models it serves (its lanes'), advertised while it runs. */
  models: string[];
  cutter: Cutter;
  /** This worker's metrics (also on WORKER_METRICS_PORT). */
  metrics: ReturnType<typeof createRegistry>;
  /** Stops taking jobs, waits up to the grace period for jobs in hand, then closes. */
  shutdown(): Promise<void>;
}

export interface WorkerOptions {
  /** A stand-in for the model (tests): when given, no model is loaded (ENGINE=local). */
  cutter?: Cutter;
}

/** Stops one part; closers run one after the other, in the order the parts are listed. */
export type Closer = () => Promise<void> | void;

type Readiness = { ok: boolean; reason?: string };

/** The worker's /metrics, /health and /ready server. */
export function startProbes(config: Config, metricsRegistry: ReturnType<typeof createRegistry>, probe: WorkerProbe, logger: Logger): Closer {
  const server = startHealthServer(config.WORKER_METRICS_PORT, metricsRegistry, probe, logger);
  return () => void server?.close();
}

const isMaskJob = (job: Job): job is Job<MaskJobData> => job.name === MASK_JOB_NAME;

interface RemoveBgDeps {
  cutter: Cutter;
  jobs: JobQueue;
  store: BlobStore;
  logger: Logger;
  metrics?: WorkerMetrics;
  /** Deliveries of callback_url webhooks, asked for when a job ends. */
  webhooks?: WebhookQueue;
  /** Batch records: a job's end is counted in its batch. */
  batches?: BatchRecords;
  /** The mask editor's records (edit lock, edit state). */
  edits: MaskEdits;
}

/**
 * The lanes a worker serves: those of the models its cutter has loaded (WORKER_MODELS, or all of
 * MODELS); with a cutter that names none (an external engine, a stand-in), those of WORKER_MODELS.
 */
export function servedLanes(config: Config, lanes: readonly Lane[], cutter: Cutter): Lane[] {
  const models = cutter.modelNames ?? workerModels(config);
  const served = lanes.filter((lane) => models.includes(lane.model));
  if (served.length === 0) throw new Error(`this worker serves none of MODELS (${config.MODELS.join(', ')}): it has ${models.join(', ')}`);
  return served;
}

/**
 * The worker that takes remove-bg jobs from the lanes it serves, one BullMQ worker each
 * (WORKER_CONCURRENCY jobs per lane). Its closer stops taking jobs and waits up to
 * SHUTDOWN_GRACE_SECONDS for the jobs in hand, then hands them back to the queue.
 */
export async function startRemoveBgWorker(config: Config, deps: RemoveBgDeps, lanes: Lane[]): Promise<{ workers: Worker<JobData, JobResult>[]; close: Closer }> {
  const { logger } = deps;
  const started = await Promise.all(lanes.map((lane) => startLane(config, deps, lane)));
  const workers = started.map((lane) => lane.worker);
  const close = async () => {
    logger.info({ graceSeconds: config.SHUTDOWN_GRACE_SECONDS }, 'worker shutting down: finishing jobs in hand');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), config.SHUTDOWN_GRACE_SECONDS * 1000);
    });
    if (await Promise.race([Promise.all(workers.map((w) => w.close())).then(() => false), timedOut])) {
      logger.warn('grace period over: handing the jobs in hand back to the queue');
      await Promise.all(workers.map((w) => w.close(true)));
    }
    clearTimeout(timer);
    for (const lane of started) lane.connection.disconnect();
  };
  return { workers, close };
}

async function startLane(config: Config, deps: RemoveBgDeps, lane: Lane) {
  const { jobs, logger } = deps;
  const connection = createRedis(config, 'worker');
  const processor = createRemoveBgProcessor({
    ...deps,
    isCanceled: (id) => jobs.isCancelRequested(id),
    recordCached: (cacheKey, optionsKey, jobId) => jobs.cacheRecord(cacheKey, optionsKey, jobId),
  });
  // The mask editor's jobs share the queue (and the model) of the jobs they belong to.
  const maskProcessor = createMaskProcessor({ ...deps, edits: deps.edits });
  const worker = new Worker<JobData, JobResult>(lane.name, (job) => (isMaskJob(job) ? (maskProcessor(job) as never) : processor(job)), {
    connection,
    prefix: jobs.settings.keys.bullPrefix,
    concurrency: config.WORKER_CONCURRENCY,
    // A job in hand keeps its lock renewed; a worker killed mid-job loses it within
    // JOB_LOCK_SECONDS and the job is handed to another worker.
    lockDuration: config.JOB_LOCK_SECONDS * 1000,
    stalledInterval: (config.JOB_LOCK_SECONDS * 1000) / 2,
    maxStalledCount: 2,
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  // A job's end: its webhook, and its batch's count (with the batch's webhook after its last job).
  const callBack = (job: { id?: string; data: JobData }) => {
    if (!job.id || (!job.data.callbackUrl && !job.data.batchId)) return;
    jobEnded(deps, { id: job.id, callbackUrl: job.data.callbackUrl, batchId: job.data.batchId }).catch((err: unknown) =>
      logger.error({ err, jobId: job.id }, 'webhook or batch count not updated'),
    );
  };
  worker.on('completed', (job) => {
    if (isMaskJob(job)) return;
    const timings = job.returnvalue?.timings;
    if (timings) void jobs.recordDuration(Object.values(timings).reduce((a, b) => a + b, 0), lane.model).catch(() => undefined);
    callBack(job);
  });
  worker.on('failed', (job, err) => {
    if (!job || isMaskJob(job)) return;
    logger.info({ jobId: job.id, attempt: job.attemptsMade, reason: err.message }, 'job attempt ended in failure');
    // The last attempt (or one not to be retried): the job has ended.
    void job.getState().then((state) => state === 'failed' && callBack(job), () => undefined);
  });
  await worker.waitUntilReady();
  return { worker, connection };
}

/**
 * Cleanup, run on the workers through a BullMQ job scheduler: one job per interval across all
 * workers, whichever takes it.
 */
export async function startMaintenance(config: Config, jobs: JobQueue, store: BlobStore, logger: Logger, connection: RedisClient): Promise<Closer> {
  const maintenanceName = `${config.QUEUE_NAME}-maintenance`;
  const prefix = jobs.settings.keys.bullPrefix;
  const maintenance = new Queue(maintenanceName, { connection, prefix });
  await maintenance.upsertJobScheduler(
    'cleanup',
    { every: config.CLEANUP_INTERVAL_SECONDS * 1000 },
    { name: 'cleanup', opts: { removeOnComplete: true, removeOnFail: 50 } },
  );
  const cleanerConnection = createRedis(config, 'worker');
  const cleaner = new Worker(maintenanceName, () => cleanupWithConfig(config, jobs, store, logger), {
    connection: cleanerConnection,
    prefix,
    concurrency: 1,
  });
  cleaner.on('error', (err) => logger.error({ err }, 'cleanup worker error'));
  return async () => {
    await cleaner.close();
    await maintenance.close();
    cleanerConnection.disconnect();
  };
}

export async function startWorker(config: Config, store: BlobStore, logger: Logger, opts: WorkerOptions = {}): Promise<RunningWorker> {
  // Cancel requests, processing times and the maintenance queue live beside the queue; a
  // connection of their own, so these small commands never wait behind the worker's.
  const queueConnection = createRedis(config, 'worker');
  const settings = queueSettings(config);
  const jobs = new JobQueue(queueConnection, settings);
  const metricsRegistry = createRegistry('worker');
  let readiness: Readiness = { ok: false, reason: config.ENGINE === 'local' ? 'loading the model' : 'starting' };
  let engineProblem = (): Promise<string | null> => Promise.resolve(null);
  const closeProbes = startProbes(config, metricsRegistry, {
    engine: config.ENGINE,
    async ready() {
      if (!readiness.ok) return readiness;
      if (!(await jobs.ping().catch(() => false))) return { ok: false, reason: 'Redis is not reachable' };
      const problem = await engineProblem();
      return problem ? { ok: false, reason: problem } : readiness;
    },
  }, logger);
  const engine = await createEngine(config, logger, opts.cutter);
  const cutter = engine.cutter;
  engineProblem = () => engine.problem();
  const webhooks = new WebhookQueue(queueConnection, webhookSettings(config));
  const batches = new BatchRecords(queueConnection, settings);
  const edits = new MaskEdits(queueConnection, jobs);
  const lanes = servedLanes(config, settings.lanes, cutter);
  const models = lanes.map((lane) => lane.model);
  const removeBg = await startRemoveBgWorker(config, { cutter, jobs, store, logger, metrics: workerMetrics(metricsRegistry), webhooks, batches, edits }, lanes);
  // GET /models counts the live workers serving each model from these advertisements.
  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const stopHeartbeat = await startHeartbeat(jobs.registry, workerId, models, (err) => logger.warn({ err }, 'models not advertised'));
  const closeMaintenance = await startMaintenance(config, jobs, store, logger, queueConnection);
  const closeDelivery = config.WEBHOOK_SECRET
    ? startWebhookDelivery(config, { webhooks, logger, post: webhookPost(config), bodyOf: (t) => webhookBody(config, { jobs, batches }, t) })
    : () => undefined;
  readiness = { ok: true };
  logger.info({ queue: config.QUEUE_NAME, lanes: lanes.map((l) => l.name), models, concurrency: config.WORKER_CONCURRENCY, engine: engine.name, redis: describeRedis(config) }, 'worker ready');

  const closers: Closer[] = [
    stopHeartbeat,
    removeBg.close,
    () => void (readiness = { ok: false, reason: 'shutting down' }),
    closeProbes,
    closeMaintenance,
    closeDelivery,
    () => cutter.release?.(),
    async () => {
      await webhooks.close();
      await jobs.close();
      queueConnection.disconnect();
    },
  ];
  let closing: Promise<void> | undefined;
  const shutdown = () =>
    (closing ??= (async () => {
      for (const close of closers) await close();
    })());
  return { worker: removeBg.workers[0]!, lanes: removeBg.workers, models, cutter, metrics: metricsRegistry, shutdown };
}
