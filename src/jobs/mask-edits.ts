// The mask editor's records in Redis, beside the queue: the lock that lets one edit of a job run
// at a time, and the edit state written on the job when a re-render ends (on its queue record, or,
// for a job answered from the result cache, on its cached record).
import type { RedisClient } from './redis-connection.js';
import { maskJobId, type EditState, type JobData } from './contract.js';
import type { JobQueue } from './queue.js';
import { withEdit } from './status-rules.js';

/** What a mask job needs of the done job it belongs to. */
export interface EditTarget {
  options: JobData['options'];
  edit?: EditState;
}

/** How long a lock may stand before its apply job is queued (the mask is being stored). */
const TAKEOVER_MS = 60_000;

export class MaskEdits {
  constructor(
    private readonly redis: RedisClient,
    private readonly queue: Pick<JobQueue, 'getJob' | 'settings' | 'readTombstone' | 'writeTombstone'>,
  ) {}

  private lockKey(jobId: string): string {
    return this.queue.settings.keys.own('editing', jobId);
  }

  /**
   * Takes the job's edit lock for `version`; false while another edit of the job is under way.
   * A lock whose edit job has ended without releasing it (its worker died) is taken over; a lock
   * whose job is not queued yet (its mask is still being stored) only once it is TAKEOVER_MS old.
   */
  async begin(jobId: string, version: number): Promise<boolean> {
    const key = this.lockKey(jobId);
    const ttl = Math.max(60, Math.ceil(this.queue.settings.ttlSeconds));
    const value = `${version}:${Date.now()}`;
    if ((await this.redis.set(key, value, 'EX', ttl, 'NX')) === 'OK') return true;
    const [held, since] = String(await this.redis.get(key)).split(':').map(Number);
    if (held! > 0) {
      const job = await this.queue.getJob(maskJobId({ jobId, action: 'apply', version: held! }));
      const state = job ? await job.getState() : 'unknown';
      if (state === 'waiting' || state === 'active' || state === 'delayed' || state === 'prioritized') return false;
      if (!job && Date.now() - (since || 0) < TAKEOVER_MS) return false;
    }
    return (await this.redis.set(key, value, 'EX', ttl)) === 'OK';
  }

  /** Releases the lock if `version` holds it. */
  async end(jobId: string, version: number): Promise<void> {
    const key = this.lockKey(jobId);
    if (String(await this.redis.get(key)).split(':')[0] === String(version)) await this.redis.del(key);
  }

  /** The done job a mask job works on: a job of the queue, or one answered from the result cache; null when gone. */
  async target(jobId: string): Promise<EditTarget | null> {
    const job = await this.queue.getJob(jobId);
    if (job) return { options: job.data.options, edit: job.data.edit };
    const record = await this.queue.readTombstone(jobId);
    return record?.reason === 'cached' ? { options: record.view.options, edit: record.edit } : null;
  }

  /** Writes the job's edit state (its other data unchanged); false when the job's record is gone. */
  async record(jobId: string, change: (previous: EditState | undefined) => EditState): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (job) {
      await job.updateData({ ...job.data, edit: change(job.data.edit) });
      return true;
    }
    // A cached job: its record keeps the edit state, and its view shows it (one edit at a time: the lock).
    const record = await this.queue.readTombstone(jobId);
    if (record?.reason !== 'cached') return false;
    const edit = change(record.edit);
    await this.queue.writeTombstone({ ...record, edit, view: withEdit(record.view, edit) });
    return true;
  }
}
