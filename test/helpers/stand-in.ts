// The queue without the model: a stand-in cutter whose speed and failures the test controls, and
// a worker, adapter and store on a private queue of a test Redis.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { loadConfig, type Config } from '../../src/config.js';
import { CutoutPipeline, type Cutter, type CutoutResult, type StageHook } from '../../src/cutout/pipeline.js';
import { resolveModel } from '../../src/cutout/models.js';
import type { SegmentationSession } from '../../src/cutout/session.js';
import type { JobData, StatusView } from '../../src/jobs/contract.js';
import { JobQueue, queueSettings, type Tombstone } from '../../src/jobs/queue.js';
import { createRedis } from '../../src/jobs/redis-connection.js';
import { FsBlobStore } from '../../src/storage/fs-store.js';
import { STAGES } from '../../src/vocabulary.js';
import { startWorker, type RunningWorker } from '../../src/worker/worker.js';

export const silentLogger = pino({ level: 'silent' });

/** A cutter that returns a small real PNG; it stops in inference while held, and can fail attempts. */
export interface StandInCutter extends Cutter {
  calls: number;
  /** The next `n` calls throw a plain Error (a transient failure, retried). */
  failNext(n: number): void;
  /** Calls wait in inference until proceed(). */
  hold(): void;
  proceed(): void;
  /** Resolves once a call since hold() waits at the gate (past every check before inference). */
  parked(): Promise<void>;
}

/** `result`: the PNG every call answers (default: a 4x3 half-transparent red one). */
export async function standInCutter(result?: Buffer): Promise<StandInCutter> {
  const png = result ?? (await sharp({ create: { width: 4, height: 3, channels: 4, background: { r: 200, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer());
  const { width = 4, height = 3 } = await sharp(png).metadata();
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  let failures = 0;
  let parkedCalls = 0;
  const cutter: StandInCutter = {
    modelName: 'stand-in',
    calls: 0,
    failNext: (n) => void (failures = n),
    hold: () => {
      parkedCalls = 0;
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    proceed: () => open(),
    async parked() {
      while (parkedCalls === 0) await new Promise((r) => setTimeout(r, 10));
    },
    async process(_input: Buffer, beforeStage?: StageHook): Promise<CutoutResult> {
      cutter.calls++;
      for (const stage of STAGES) {
        await beforeStage?.(stage);
        if (stage === 'inference') {
          parkedCalls++;
          await gate;
        }
      }
      if (failures > 0) {
        failures--;
        throw new Error('stand-in: a transient failure');
      }
      return { bytes: png, format: 'png', foreground: { left: 0, top: 0, width, height }, maskReused: false, width, height, timings: Object.fromEntries(STAGES.map((stage) => [stage, 2])) as CutoutResult['timings'] };
    },
  };
  return cutter;
}

/**
 * The real pipeline (decoding, options, rendering) around a tiny stand-in for the model: whatever
 * is darker than the light background of test/helpers/images.ts is the subject. Its masks depend
 * on the photo, so what a remote engine makes of them can be compared pixel for pixel.
 */
export function darkSubjectCutter(): Cutter & { calls: number } {
  const session: SegmentationSession = {
    inputName: 'input',
    outputName: 'output',
    weights: 'a stand-in',
    async run(input, size) {
      const plane = size * size;
      // The model's input is (v / max - 0.5) per channel: a sum under 0.8 is a dark or saturated colour.
      return Float32Array.from({ length: plane }, (_, i) => (input[i]! + input[plane + i]! + input[2 * plane + i]! < 0.8 ? 1 : 0));
    },
    release: () => Promise.resolve(),
  };
  const pipeline = CutoutPipeline.withSession(resolveModel('isnet-general-use'), session, {
    models: ['isnet-general-use'],
    modelDir: '',
    threads: 1,
    maxPixels: 50_000_000,
    pngCompressionLevel: 6,
  });
  const cutter = {
    modelName: 'dark-subject',
    calls: 0,
    process: (...args: Parameters<Cutter['process']>) => {
      cutter.calls++;
      return pipeline.process(...args);
    },
  };
  return cutter;
}

export interface QueueHarness {
  config: Config;
  queue: JobQueue;
  store: FsBlobStore;
  cutter: StandInCutter;
  running: RunningWorker;
  /** Writes an input file and enqueues its job, as an upload does. */
  submit(filename?: string): Promise<string>;
  /** Polls the adapter's view until `until` holds. */
  waitFor(jobId: string, until: (found: StatusView | Tombstone | null) => boolean, timeoutMs?: number): Promise<StatusView | Tombstone | null>;
  stop(): Promise<void>;
}

export function testConfig(redisUrl: string, dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    QUEUE_NAME: `q-${randomUUID().slice(0, 8)}`,
    PORT: '0',
    LOG_LEVEL: 'silent',
    LOG_PRETTY: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    WORKER_METRICS_PORT: '0',
    SHUTDOWN_GRACE_SECONDS: '2',
    ...env,
  });
}

export function jobData(filename: string, bytes: number): JobData {
  return { requestId: randomUUID(), filename, format: 'png', bytes, width: 40, height: 30 };
}

/** A worker with a stand-in cutter, on a queue of its own (a unique QUEUE_NAME). */
export async function startQueueHarness(redisUrl: string, env: Record<string, string> = {}): Promise<QueueHarness> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cutout-queue-'));
  const config = testConfig(redisUrl, dataDir, env);
  const store = new FsBlobStore(dataDir);
  const connection = createRedis(config, 'producer');
  const queue = new JobQueue(connection, queueSettings(config));
  const cutter = await standInCutter();
  const running = await startWorker(config, store, silentLogger, { cutter });
  const input = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer();
  return {
    config,
    queue,
    store,
    cutter,
    running,
    async submit(filename = 'photo.png') {
      const id = randomUUID();
      await store.putInput(id, input);
      await queue.enqueue(id, jobData(filename, input.length));
      return id;
    },
    async waitFor(jobId, until, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = await queue.view(jobId);
        if (until(found)) return found;
        if (Date.now() > deadline) throw new Error(`job ${jobId}: still ${JSON.stringify(found)} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async stop() {
      cutter.proceed();
      await running.shutdown();
      await queue.close();
      connection.disconnect();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The status view, whether the job is in the queue or only its tombstone is left. */
export const viewOf = (found: StatusView | Tombstone | null): StatusView | undefined =>
  found ? ('reason' in found ? found.view : found) : undefined;
