// The BullMQ side of the contract: connections, queue options, and reading a job as a StatusView.
import { Job, Queue, type JobsOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import { REDIS_KEY_PREFIX } from '../vocabulary.js';
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

export function queueSettings(config: Pick<Config, 'QUEUE_NAME' | 'JOB_ATTEMPTS' | 'RESULT_TTL_MINUTES'>): QueueSettings {
  return { name: config.QUEUE_NAME, attempts: config.JOB_ATTEMPTS, ttlSeconds: Math.round(config.RESULT_TTL_MINUTES * 60) };
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

// Everything GET /status needs, in one round trip: the job's hash, its state (as BullMQ's own
// getState script decides it), its place in line when waiting, and the recent processing times
// for the estimate; or the tombstone of a job that is gone.
// Position: BullMQ LPUSHes new jobs and workers RPOPLPUSH from the right, so the head of the line
// is the right end. LPOS with RANK -1 scans from that end and stops at the job: O(p) inside Redis
// for a job at position p, nothing transferred, whatever the length of the line (10,000 waiting
// jobs cost the jobs near the front nothing). Every other step is O(1) or O(log n).
const STATUS_LUA = `
local id = ARGV[1]
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then
  local t = redis.call('GET', KEYS[10])
  if t then return {'gone', t} end
  return false
end
local state = 'unknown'
local position = false
if redis.call('ZSCORE', KEYS[2], id) then state = 'completed'
elseif redis.call('ZSCORE', KEYS[3], id) then state = 'failed'
elseif redis.call('ZSCORE', KEYS[4], id) then state = 'delayed'
elseif redis.call('ZSCORE', KEYS[5], id) then state = 'prioritized'
elseif redis.call('LPOS', KEYS[6], id) then state = 'active'
else
  for _, key in ipairs({KEYS[7], KEYS[8]}) do
    local i = redis.call('LPOS', key, id, 'RANK', -1)
    if i then
      state = 'waiting'
      position = redis.call('LLEN', key) - i
      break
    end
  end
end
local durations = {}
if state == 'waiting' then durations = redis.call('LRANGE', KEYS[9], 0, -1) end
return {state, h, position, durations}`;

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
    this.prefix = `${REDIS_KEY_PREFIX}:${settings.name}`;
    // ioredis sends it by EVALSHA and falls back to EVAL when Redis does not have it yet.
    connection.defineCommand('cutoutStatus', { numberOfKeys: 10, lua: STATUS_LUA });
  }

  private key(kind: string, jobId?: string): string {
    return jobId ? `${this.prefix}:${kind}:${jobId}` : `${this.prefix}:${kind}`;
  }

  /** Records how long a job took, for the wait estimate. Called by workers. */
  async recordDuration(ms: number): Promise<void> {
    await this.connection
      .multi()
      .lpush(this.key('durations'), Math.round(ms))
      .ltrim(this.key('durations'), 0, DURATION_SAMPLES - 1)
      .exec();
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
   * Seconds until a job at `position` is likely done, from the median of recent processing
   * times: the jobs ahead spread over the workers, half a job for the one in hand on average,
   * then its own processing.
   */
  estimate(position: number, recentMs: number[], workers: number): number | undefined {
    if (recentMs.length === 0) return undefined;
    const sorted = [...recentMs].sort((a, b) => a - b);
    const typical = sorted[sorted.length >> 1]!;
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
   * record is gone, or null when the queue never knew it. One Redis round trip (STATUS_LUA).
   */
  async view(jobId: string): Promise<StatusView | Tombstone | null> {
    const k = this.queue.keys;
    const status = (this.connection as Redis & { cutoutStatus: (...args: string[]) => Promise<unknown> }).cutoutStatus;
    const reply = (await status.call(this.connection, this.queue.toKey(jobId), k.completed!, k.failed!, k.delayed!,
      k.prioritized!, k.active!, k.wait!, k.paused!, this.key('durations'), this.key('gone', jobId), jobId)) as
      | null
      | ['gone', string]
      | [string, string[], number | null, string[]];
    if (!reply) return null;
    if (reply[0] === 'gone') return JSON.parse(reply[1] as string) as Tombstone;
    const [state, flat, position, durations] = reply as [string, string[], number | null, string[]];
    const raw: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) raw[flat[i]!] = flat[i + 1]!;
    const job = Job.fromJSON<JobData>(this.queue, raw as never, jobId);
    const view = toView(job, state);
    if (view?.status === 'queued' && typeof position === 'number') {
      view.position = position;
      view.eta_seconds = this.estimate(position, durations.map(Number), await this.workerCount());
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
