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
    // The cleanup job expires records at the TTL and leaves a tombstone; these are a backstop.
    removeOnComplete: { age: s.ttlSeconds + 3600 },
    removeOnFail: { age: s.ttlSeconds + 3600 },
  };
}

// Position of a job in line, 1 = next. BullMQ LPUSHes new jobs and workers RPOPLPUSH from the
// right, so the head of the line is the right end. LPOS with RANK -1 scans from that end and
// stops at the job: O(p) inside Redis for a job at position p, one round trip, nothing
// transferred, whatever the length of the line (10,000 waiting jobs cost nothing to the others).
const POSITION_LUA = `
for _, key in ipairs(KEYS) do
  local i = redis.call('LPOS', key, ARGV[1], 'RANK', -1)
  if i then return redis.call('LLEN', key) - i end
end
return false`;

/** How many recent processing times the ETA is computed from. */
const DURATION_SAMPLES = 20;

export interface Tombstone {
  view: StatusView;
  /** Why the record is gone. */
  reason: 'canceled' | 'expired';
}

export class JobQueue {
  readonly queue: Queue<JobData>;
  private readonly prefix: string;
  private workersCache = { at: 0, count: 1 };

  constructor(
    private readonly connection: Redis,
    readonly settings: QueueSettings,
  ) {
    this.queue = new Queue<JobData>(settings.name, {
      connection,
      defaultJobOptions: defaultJobOptions(settings),
    });
    this.queue.on('error', () => undefined);
    this.prefix = `cutout:${settings.name}`;
  }

  private key(kind: string, jobId?: string): string {
    return jobId ? `${this.prefix}:${kind}:${jobId}` : `${this.prefix}:${kind}`;
  }

  /** 1-based place in line of a waiting job, or null when it is not waiting. See POSITION_LUA. */
  async position(jobId: string): Promise<number | null> {
    const p = (await this.connection.eval(POSITION_LUA, 2, this.queue.keys.wait!, this.queue.keys.paused!, jobId)) as number | null;
    return typeof p === 'number' ? p : null;
  }

  /** Records how long a job took, for the wait estimate. Called by workers. */
  async recordDuration(ms: number): Promise<void> {
    await this.connection
      .multi()
      .lpush(this.key('durations'), Math.round(ms))
      .ltrim(this.key('durations'), 0, DURATION_SAMPLES - 1)
      .exec();
  }

  /** Median of recent processing times in ms, or null before any job finished. */
  async typicalDurationMs(): Promise<number | null> {
    const values = (await this.connection.lrange(this.key('durations'), 0, -1)).map(Number).sort((a, b) => a - b);
    return values.length ? values[values.length >> 1]! : null;
  }

  /** Workers connected to the queue, cached for 5 s (it asks Redis for its client list). */
  async workerCount(): Promise<number> {
    if (Date.now() - this.workersCache.at > 5000) {
      const count = await this.queue.getWorkersCount().catch(() => this.workersCache.count);
      this.workersCache = { at: Date.now(), count };
    }
    return this.workersCache.count;
  }

  /**
   * Seconds until a job at `position` is likely done: the jobs ahead spread over the workers,
   * then its own processing; half a job's time for the one in hand on average.
   */
  async etaSeconds(position: number): Promise<number | undefined> {
    const [typical, workers] = await Promise.all([this.typicalDurationMs(), this.workerCount()]);
    if (typical === null) return undefined;
    const ahead = (position - 1) / Math.max(1, workers);
    return Math.round(((ahead + 0.5 + 1) * typical) / 100) / 10;
  }

  /** Asks for a job to stop; a worker honours it at the next stage boundary. */
  async requestCancel(jobId: string): Promise<void> {
    await this.connection.set(this.key('cancel', jobId), '1', 'EX', Math.max(1, Math.ceil(this.settings.ttlSeconds)));
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    return (await this.connection.exists(this.key('cancel', jobId))) === 1;
  }

  /** Keeps a small record of a job whose queue entry is gone, so status can still explain it. */
  async writeTombstone(t: Tombstone): Promise<void> {
    const ttl = t.reason === 'expired' ? 24 * 3600 : Math.max(1, Math.ceil(this.settings.ttlSeconds));
    await this.connection.set(this.key('gone', t.view.job_id), JSON.stringify(t), 'EX', ttl);
  }

  async readTombstone(jobId: string): Promise<Tombstone | null> {
    const raw = await this.connection.get(this.key('gone', jobId));
    return raw ? (JSON.parse(raw) as Tombstone) : null;
  }

  async enqueue(jobId: string, data: JobData): Promise<void> {
    await this.queue.add(JOB_NAME, jobDataSchema.parse(data), { jobId });
  }

  async getJob(jobId: string): Promise<Job<JobData> | undefined> {
    return Job.fromId<JobData>(this.queue, jobId);
  }

  /**
   * The public view of a job (with its place in line while queued), its tombstone when its
   * record is gone, or null when the queue never knew it.
   */
  async view(jobId: string): Promise<StatusView | Tombstone | null> {
    const job = await this.getJob(jobId);
    if (!job) return this.readTombstone(jobId);
    const view = toView(job, await job.getState());
    if (view?.status === 'queued') {
      const position = await this.position(jobId);
      if (position !== null) {
        view.position = position;
        view.eta_seconds = await this.etaSeconds(position);
      }
    }
    return view;
  }

  /** Jobs per state, for metrics. */
  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed', 'failed');
  }

  /** Failed (and canceled) jobs, newest first, with their reasons. */
  async failed(page: number, perPage: number): Promise<{ total: number; jobs: StatusView[] }> {
    const start = (page - 1) * perPage;
    const [total, jobs] = await Promise.all([
      this.queue.getJobCountByTypes('failed'),
      this.queue.getJobs(['failed'], start, start + perPage - 1, false),
    ]);
    return { total, jobs: jobs.map((j) => toView(j, 'failed')).filter((v): v is StatusView => v !== null) };
  }

  /**
   * Cancels a job. A waiting job is removed at once ('canceled'); a job in hand is asked to stop
   * at its next stage boundary ('canceling'); a finished one is left alone ('finished').
   */
  async cancel(jobId: string): Promise<'canceled' | 'canceling' | 'finished' | null> {
    const job = await this.getJob(jobId);
    if (!job) return (await this.readTombstone(jobId)) ? 'finished' : null;
    const view = toView(job, await job.getState());
    if (!view) return null;
    if (view.status !== 'queued' && view.status !== 'processing') return 'finished';
    await this.requestCancel(jobId);
    if (view.status === 'processing') return 'canceling';
    try {
      await job.remove();
    } catch {
      return 'canceling'; // a worker took it meanwhile; it stops at the next stage boundary
    }
    const finished = new Date().toISOString();
    await this.writeTombstone({
      reason: 'canceled',
      view: { ...view, status: 'canceled', finished_at: finished, position: undefined, eta_seconds: undefined },
    });
    return 'canceled';
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
