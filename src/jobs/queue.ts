// The BullMQ side of the contract: connections, queue options, and reading a job as a StatusView.
import { Job, Queue, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import {
  CANCELED_REASON,
  JOB_NAME,
  jobDataSchema,
  progressSchema,
  statusFromState,
  type JobData,
  type StatusView,
} from './contract.js';

export type RedisRole = 'producer' | 'worker' | 'events';

/**
 * A Redis connection for one role. Workers and event readers block and must wait for Redis
 * forever (maxRetriesPerRequest: null); the api fails fast so a request never hangs on a
 * dead Redis.
 */
export function createRedis(url: string, role: RedisRole): Redis {
  const opts: RedisOptions =
    role === 'producer'
      ? { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5000 }
      : { maxRetriesPerRequest: null };
  const redis = new Redis(url, { ...opts, lazyConnect: false });
  // Connection errors are retried by ioredis and reported through readiness; an unhandled
  // 'error' event would crash the process.
  redis.on('error', () => undefined);
  return redis;
}

export interface QueueSettings {
  name: string;
  attempts: number;
  /** How long finished jobs are kept (their records; files are cleaned separately). */
  ttlSeconds: number;
}

export function defaultJobOptions(s: QueueSettings): JobsOptions {
  return {
    attempts: s.attempts,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: s.ttlSeconds },
    removeOnFail: { age: s.ttlSeconds },
  };
}

export class JobQueue {
  readonly queue: Queue<JobData>;

  constructor(
    private readonly connection: Redis,
    readonly settings: QueueSettings,
  ) {
    this.queue = new Queue<JobData>(settings.name, {
      connection,
      defaultJobOptions: defaultJobOptions(settings),
    });
    this.queue.on('error', () => undefined);
  }

  async enqueue(jobId: string, data: JobData): Promise<void> {
    await this.queue.add(JOB_NAME, jobDataSchema.parse(data), { jobId });
  }

  async getJob(jobId: string): Promise<Job<JobData> | undefined> {
    return Job.fromId<JobData>(this.queue, jobId);
  }

  /** The public view of a job, or null when the queue does not know it. */
  async view(jobId: string): Promise<StatusView | null> {
    const job = await this.getJob(jobId);
    if (!job) return null;
    const state = await job.getState();
    return toView(job, state);
  }

  async ping(): Promise<boolean> {
    return (await this.connection.ping()) === 'PONG';
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

const isoTime = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : undefined);

export function toView(job: Job<JobData>, state: string): StatusView | null {
  let status = statusFromState(state);
  if (!status || !job.id) return null;
  if (status === 'failed' && job.failedReason === CANCELED_REASON) status = 'canceled';
  const progress = progressSchema.safeParse(job.progress);
  const view: StatusView = {
    job_id: job.id,
    status,
    filename: job.data.filename,
    width: job.data.width,
    height: job.data.height,
    created_at: new Date(job.timestamp).toISOString(),
    started_at: isoTime(job.processedOn),
    finished_at: status === 'done' || status === 'failed' || status === 'canceled' ? isoTime(job.finishedOn) : undefined,
    attempts: job.attemptsStarted ?? job.attemptsMade,
  };
  if (status === 'processing' && progress.success) view.progress = progress.data;
  if (status === 'done') view.progress = { stage: 'encoding', percent: 100 };
  if (status === 'failed') view.error = job.failedReason || 'Processing failed.';
  return view;
}
