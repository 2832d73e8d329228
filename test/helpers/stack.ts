// The real service in-process: a private Redis, the real api listening on a free port, and real
// workers with the real model (or a stand-in, when the model is not the point). One per test file.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { EventsHub } from '../../src/api/events-hub.js';
import type { Cutter } from '../../src/cutout/pipeline.js';
import { createApiServer } from '../../src/api/server.js';
import { upload } from './multipart.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { JobQueue } from '../../src/jobs/queue.js';
import { createLogger, type Logger } from '../../src/logger.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { createBlobStore } from '../../src/storage/create.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';
import type { StatusView } from '../../src/jobs/contract.js';
import { startTestRedis } from './redis.js';
import { isTerminalStatus } from '../../src/vocabulary.js';

/** Assembled model weights are cached across test runs here. */
export const TEST_MODEL_DIR = path.join(os.tmpdir(), 'cutout-test-models');

export interface Stack {
  config: Config;
  baseUrl: string;
  app: FastifyInstance;
  queue: JobQueue;
  events: EventsHub;
  store: BlobStore;
  /** The private single node's URL; empty when the test passed its own Redis set. */
  redisUrl: string;
  workers: RunningWorker[];
  /** Starts one more worker; `cutter` and `env` (over the workers' settings) make it different from the others (e.g. other models). */
  addWorker(opts?: { cutter?: Cutter; env?: Record<string, string> }): Promise<RunningWorker>;
  upload(body: Buffer, filename?: string): Promise<Response>;
  waitFor(jobId: string, until?: (v: StatusView) => boolean, timeoutMs?: number): Promise<StatusView>;
  stop(): Promise<void>;
}

export async function startStack(
  opts: {
    workers?: number;
    env?: Record<string, string>;
    /** The workers' settings over `env`: with it they have a config and a blob store of their own, shared with the api only through what the settings point at (Redis, a bucket). */
    workerEnv?: Record<string, string>;
    logger?: Logger;
    /** A stand-in for the model (no model is loaded). */
    cutter?: Cutter;
    /** A Redis set started by the test (a Cluster, Sentinels: test/helpers/redis-ha.ts) instead of a private single node; the test stops it. */
    redis?: { env: Record<string, string> };
  } = {},
): Promise<Stack> {
  const redis = opts.redis ? { url: '', env: opts.redis.env, cleanup: async () => undefined } : { ...(await startTestRedis()), env: {} };
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-data-'));
  const base = {
    ...(redis.url ? { REDIS_URL: redis.url } : redis.env),
    DATA_DIR: dataDir,
    MODEL_DIR: TEST_MODEL_DIR,
    QUEUE_NAME: `test-${randomUUID().slice(0, 8)}`,
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LOG_PRETTY: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    WORKER_METRICS_PORT: '0',
    INFERENCE_THREADS: String(os.availableParallelism()),
    SHUTDOWN_GRACE_SECONDS: '20',
    // Tests upload the same photos again and again and follow their processing: the result cache
    // is off unless a test turns it on (the options and page tests do).
    RESULT_CACHE: 'false',
    ...opts.env,
  };
  const config = loadConfig(base);
  const logger = opts.logger ?? createLogger(config, 'test');
  const server = await createApiServer(config, logger);
  const { app, queue, events, store } = server;
  await events.ready();
  // The api's own connection fails fast rather than queueing commands: wait until it is up.
  for (const deadline = Date.now() + 15_000; !(await queue.ping().catch(() => false)); ) {
    if (Date.now() > deadline) throw new Error('the api never reached Redis');
    await new Promise((r) => setTimeout(r, 50));
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const workerConfig = opts.workerEnv ? loadConfig({ ...base, ...opts.workerEnv }) : config;
  const workerStore = opts.workerEnv ? await createBlobStore(workerConfig) : store;
  const workers: RunningWorker[] = [];
  const addWorker = async (own: { cutter?: Cutter; env?: Record<string, string> } = {}) => {
    const cutter = own.cutter ?? opts.cutter;
    const ownConfig = own.env ? loadConfig({ ...base, ...opts.workerEnv, ...own.env }) : workerConfig;
    const w = await startWorker(ownConfig, workerStore, logger, cutter ? { cutter } : {});
    workers.push(w);
    return w;
  };
  for (let i = 0; i < (opts.workers ?? 1); i++) await addWorker();

  return {
    config,
    baseUrl,
    app,
    queue,
    events,
    store,
    redisUrl: redis.url,
    workers,
    addWorker,
    upload: (body, filename = 'image.jpg') => upload(baseUrl, body, filename),
    async waitFor(jobId, until = (v) => isTerminalStatus(v.status), timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await fetch(`${baseUrl}/status/${jobId}`);
        const view = (await res.json()) as StatusView;
        if (res.ok && until(view)) return view;
        if (Date.now() > deadline) throw new Error(`job ${jobId} still ${view.status} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      await Promise.all(workers.map((w) => w.shutdown()));
      if (workerStore !== store) workerStore.close?.();
      await server.close();
      await redis.cleanup();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
