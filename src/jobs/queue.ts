// The queue adapter: every read and write of the job queue in Redis (BullMQ and Cutout's own keys
// beside it), and nothing else. The rules (what a status is, an estimate, a tombstone, what a
// cancel does) are in status-rules.ts; the status script in status-script.ts. One BullMQ queue
// per model (a lane, lanes.ts): a job is found by its id in whichever lane it is.
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisClient } from './redis-connection.js';
import { defaultJobOptions, type QueueSettings } from './queue-settings.js';
import { JOB_NAME, jobDataSchema, MASK_JOB_NAME, maskJobDataSchema, maskJobId, type JobData, type MaskJobData, type StatusView } from './contract.js';
import { STATUS_LUA, type StatusScriptReply } from './status-script.js';
import { laneFor, LaneRegistry, type Lane } from './lanes.js';
import { failedAcross, sumCounts } from './lane-reads.js';
import {
  canceledTombstone,
  cancelPlan,
  estimateWait,
  toView,
  tombstoneTtlSeconds,
  type CancelOutcome,
  type Tombstone,
} from './status-rules.js';

export type { Tombstone } from './status-rules.js';

export { defaultJobOptions, queueSettings, type QueueSettings } from './queue-settings.js';

/** How long an upload waits for its job to reach the replicas (REDIS_WAIT_REPLICAS). */
const REPLICA_WAIT_MS = 1000;

/** How many recent processing times the ETA is computed from. */
const DURATION_SAMPLES = 20;

/** A finished job as cleanup sees it. */
export interface FinishedJob {
  id: string;
  /** When it finished (or was created, if BullMQ did not record the end), ms since the epoch. */
  finishedAt: number;
  view: StatusView;
}

type StatusCommand = (...args: string[]) => Promise<StatusScriptReply>;

export class JobQueue {
  /** The BullMQ queue of each lane, in the order of settings.lanes (the default model's first); only this adapter touches them. */
  private readonly lanes: Queue<JobData>[];
  /**
   * With waitReplicas, jobs are added over a connection of their own: WAIT blocks the connection
   * it runs on, and must not hold up the api's reads when a replica is slow or gone.
   */
  private adder?: { lanes: Queue<JobData>[]; connection: Redis };
  private workersCache = new Map<string, { at: number; count: number }>();
  /** The live workers serving each model (their advertisements). */
  readonly registry: LaneRegistry;

  constructor(
    private readonly connection: RedisClient,
    readonly settings: QueueSettings,
  ) {
    this.lanes = this.openLanes(connection);
    this.registry = new LaneRegistry(connection, settings.keys);
    // By EVALSHA, EVAL when Redis lacks it; its first argument is the number of keys (a set per lane).
    connection.defineCommand('cutoutStatus', { lua: STATUS_LUA });
  }

  private openLanes(connection: RedisClient): Queue<JobData>[] {
    return this.settings.lanes.map((lane) => {
      const bull = new Queue<JobData>(lane.name, { connection, prefix: this.settings.keys.bullPrefix, defaultJobOptions: defaultJobOptions(this.settings) });
      bull.on('error', () => undefined);
      return bull;
    });
  }

  /** The lane (queue) of this name; the default model's when there is none. */
  private laneNamed = (name?: string) => this.lanes.find((bull) => bull.name === name) ?? this.lanes[0]!;

  /** The index of the lane a job asking for `model` goes to. */
  private laneIndex = (model: unknown) => this.settings.lanes.indexOf(laneFor(this.settings.lanes, model));

  /** A lane's recent processing times: `durations` for the default model's (as before lanes), `durations:<model>` for another's. */
  private durationsKey = (lane: Lane) => this.key('durations', ...(lane.isDefault ? [] : [lane.model]));

  private key = (...parts: string[]) => this.settings.keys.own(...parts);

  /** Records how long a job of `model`'s lane took, for that lane's wait estimate. Called by workers. */
  async recordDuration(ms: number, model?: unknown): Promise<void> {
    const key = this.durationsKey(laneFor(this.settings.lanes, model));
    await this.connection.multi().lpush(key, Math.round(ms)).ltrim(key, 0, DURATION_SAMPLES - 1).exec();
  }

  /** Live workers serving `model` (all live workers when none is named), cached for 5 s. */
  async workerCount(model?: string): Promise<number> {
    const cached = this.workersCache.get(model ?? '');
    if (cached && Date.now() - cached.at <= 5000) return cached.count;
    const count = await this.registry.count(model ? [model] : this.settings.lanes.map((lane) => lane.model)).catch(() => cached?.count ?? 0);
    this.workersCache.set(model ?? '', { at: Date.now(), count });
    return count;
  }

  /** Asks for a job to stop; a worker honours it at the next stage boundary. */
  async requestCancel(jobId: string): Promise<void> {
    await this.connection.set(this.key('cancel', jobId), '1', 'EX', Math.max(1, Math.ceil(this.settings.ttlSeconds)));
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    return (await this.connection.exists(this.key('cancel', jobId))) === 1;
  }

  /** Keeps a small record of a job whose queue entry is gone, so status can still explain it. */
  async writeTombstone(tombstone: Tombstone): Promise<void> {
    const ttl = tombstoneTtlSeconds(tombstone, this.settings.ttlSeconds);
    await this.connection.set(this.key('gone', tombstone.view.job_id), JSON.stringify(tombstone), 'EX', ttl);
  }

  async readTombstone(jobId: string): Promise<Tombstone | null> {
    const raw = await this.connection.get(this.key('gone', jobId));
    return raw ? (JSON.parse(raw) as Tombstone) : null;
  }

  /**
   * Adds a job. With waitReplicas, only once that many replicas have it: a job the master alone
   * holds is lost if a failover comes first, so it is withdrawn and enqueue() throws (the client
   * is told to retry) rather than answered as accepted.
   */
  async enqueue(jobId: string, data: JobData): Promise<void> {
    const job = jobDataSchema.parse(data);
    const lane = this.laneIndex(job.options?.model);
    if (this.settings.waitReplicas === 0) {
      await this.lanes[lane]!.add(JOB_NAME, job, { jobId });
      return;
    }
    if (!this.adder) {
      const own = (this.connection as Redis).duplicate(); // opened on the first upload: workers never need it
      own.on('error', () => undefined);
      this.adder = { lanes: this.openLanes(own), connection: own };
    }
    await this.adder.lanes[lane]!.add(JOB_NAME, job, { jobId });
    const copies = await this.adder.connection.wait(this.settings.waitReplicas, REPLICA_WAIT_MS).catch(() => 0);
    if (copies >= this.settings.waitReplicas) return;
    await this.removeJob(jobId);
    throw new Error(`job ${jobId} reached ${copies} of ${this.settings.waitReplicas} replicas within ${REPLICA_WAIT_MS} ms; withdrawn`);
  }

  /**
   * Queues a mask job (the editor's): next in line (LIFO, a person is waiting), one attempt, and
   * removed when it ends (its outcome is recorded on the job it belongs to). A job with the same
   * id under way is joined, not repeated. It goes to the lane of the job it belongs to: workers
   * serving that job's model take it.
   */
  async enqueueMask(data: MaskJobData): Promise<string> {
    const jobId = maskJobId(data);
    const opts = { jobId, lifo: true, attempts: 1, removeOnComplete: true, removeOnFail: true };
    const lane = this.laneNamed((await this.getJob(data.jobId))?.queueName);
    await (lane as unknown as Queue<MaskJobData>).add(MASK_JOB_NAME, maskJobDataSchema.parse(data), opts);
    return jobId;
  }

  /** A job by its id, in whichever lane it is (the default model's is looked at first). */
  async getJob(jobId: string): Promise<Job<JobData> | undefined> {
    for (const bull of this.lanes) {
      const job = await Job.fromId<JobData>(bull, jobId);
      if (job) return job;
    }
    return undefined;
  }

  /** Removes a job's record; false when it was not removed (gone already, or locked by a worker). */
  async removeJob(jobId: string): Promise<boolean> {
    // In the lane that has it: BullMQ answers 1 for an id its queue does not have.
    return (await this.laneNamed((await this.getJob(jobId))?.queueName).remove(jobId).catch(() => 0)) === 1;
  }

  /** Finished jobs of one kind in one lane (an index of settings.lanes), oldest first, from index `start` to `end` (inclusive). */
  async finishedJobsPage(type: 'completed' | 'failed', start: number, end: number, lane = 0): Promise<FinishedJob[]> {
    const jobs = await this.lanes[lane]!.getJobs([type], start, end, true);
    const page: FinishedJob[] = [];
    for (const job of jobs) {
      const view = job?.id ? toView(job, type) : null;
      if (view) page.push({ id: view.job_id, finishedAt: job.finishedOn ?? job.timestamp, view });
    }
    return page;
  }

  /**
   * The public view of a job (with its place in line while queued), its tombstone when its
   * record is gone, or null when the queue never knew it. One Redis round trip (STATUS_LUA).
   */
  async view(jobId: string): Promise<StatusView | Tombstone | null> {
    const reply = await this.runStatusScript(jobId);
    if (!reply) return null;
    if (reply[0] === 'gone') return JSON.parse(reply[1] as string) as Tombstone;
    const [state, flat, position, durations, laneIndex] = reply as Exclude<StatusScriptReply, null | ['gone', string]>;
    const fields: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const view = toView(Job.fromJSON<JobData>(this.lanes[laneIndex]!, fields as never, jobId), state);
    if (view?.status === 'queued' && typeof position === 'number') {
      view.position = position;
      view.eta_seconds = estimateWait(position, durations.map(Number), await this.workerCount(this.settings.lanes[laneIndex]!.model));
    }
    return view;
  }

  /** Runs STATUS_LUA with its keys in the order its header names them: the tombstone, then each lane's. */
  private runStatusScript(jobId: string): Promise<StatusScriptReply> {
    const keys = [this.key('gone', jobId)];
    this.lanes.forEach((bull, i) => {
      const k = bull.keys;
      keys.push(bull.toKey(jobId), k.completed!, k.failed!, k.delayed!, k.prioritized!, k.active!, k.wait!, k.paused!, this.durationsKey(this.settings.lanes[i]!));
    });
    const command = (this.connection as RedisClient & { cutoutStatus: StatusCommand }).cutoutStatus;
    return command.call(this.connection, String(keys.length), ...keys, jobId);
  }

  /** Jobs per state in each lane, by model, for metrics. */
  async laneCounts(): Promise<Record<string, Record<string, number>>> {
    const counts = await Promise.all(this.lanes.map((bull) => bull.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'paused', 'completed', 'failed')));
    return Object.fromEntries(this.settings.lanes.map((lane, i) => [lane.model, counts[i]!]));
  }

  /** Jobs per state, all lanes together, for metrics. */
  async counts(): Promise<Record<string, number>> {
    return sumCounts(Object.values(await this.laneCounts()));
  }

  /** Failed (and canceled) jobs of every lane, newest first, with their reasons. */
  async failed(page: number, perPage: number): Promise<{ total: number; jobs: StatusView[] }> {
    const { total, jobs } = await failedAcross(this.lanes, (page - 1) * perPage, perPage);
    return { total, jobs: jobs.map((job) => toView(job, 'failed')).filter((view): view is StatusView => view !== null) };
  }

  /**
   * Cancels a job. A waiting job is removed at once ('canceled'); a job in hand is asked to stop
   * at its next stage boundary ('canceling'); a finished one is left alone ('finished').
   */
  async cancel(jobId: string): Promise<CancelOutcome | null> {
    const job = await this.getJob(jobId);
    if (!job) return (await this.readTombstone(jobId)) ? 'finished' : null;
    const view = toView(job, await job.getState());
    if (!view) return null;
    const plan = cancelPlan(view);
    if (plan === 'leave') return 'finished';
    await this.requestCancel(jobId);
    if (plan === 'ask') return 'canceling';
    try {
      await job.remove();
    } catch {
      return 'canceling'; // a worker took it meanwhile; it stops at the next stage boundary
    }
    await this.writeTombstone(canceledTombstone(view));
    return 'canceled';
  }

  /**
   * The result cache of one photo (its key: bytes, model, weights, client): the finished job with
   * these exact options, and a finished job whose mask fits the photo. Either may be missing.
   */
  async cacheLookup(cacheKey: string, optionsKey: string): Promise<{ exact?: string; mask?: string }> {
    const [exact, mask] = await this.connection.hmget(this.key('cache', cacheKey), `o:${optionsKey}`, 'mask');
    return { exact: exact ?? undefined, mask: mask ?? undefined };
  }

  /** Records a done job in its photo's cache entry (kept as long as results are). Called by workers. */
  async cacheRecord(cacheKey: string, optionsKey: string, jobId: string): Promise<void> {
    const key = this.key('cache', cacheKey);
    await this.connection
      .multi()
      .hset(key, `o:${optionsKey}`, jobId, 'mask', jobId)
      .expire(key, Math.max(1, Math.ceil(this.settings.ttlSeconds)))
      .exec();
  }

  /**
   * Removes the cache entries that answer with this job's result (its result is being edited, and
   * an edit is never another client's result). The photo's model mask entry stays: it is the model's.
   */
  async cacheForget(cacheKey: string, jobId: string): Promise<void> {
    const entries = await this.connection.hgetall(this.key('cache', cacheKey));
    const fields = Object.keys(entries).filter((field) => field.startsWith('o:') && entries[field] === jobId);
    if (fields.length > 0) await this.connection.hdel(this.key('cache', cacheKey), ...fields);
  }

  /**
   * A job answered from the cache: it never enters the queue; its done view is kept beside it
   * (like a tombstone, reason 'cached', with the job it copied) until the cleanup expires it at the TTL.
   */
  async writeCachedJob(view: StatusView, from?: string): Promise<void> {
    await this.writeTombstone({ reason: 'cached', view, from });
  }

  async ping(): Promise<boolean> {
    return (await this.connection.ping()) === 'PONG';
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((bull) => bull.close()));
    if (this.adder) {
      await Promise.all(this.adder.lanes.map((bull) => bull.close()));
      this.adder.connection.disconnect();
    }
  }
}
