// Batches in Redis, beside the queue's keys (`cutout:<queue>:batch:<id>`): one JSON record per
// batch, its items in order. An item is a job (its state lives in the queue, read per job), or a
// file that could not become one, with the reason. The record expires on its own (a Redis TTL):
// RESULT_TTL_MINUTES plus a day, so a batch outlives its items and can still say they expired.
import type { RedisClient } from './redis-connection.js';
import { batchRecordSchema, type BatchRecord } from './batch-contract.js';
import type { QueueSettings } from './queue.js';

/** Seconds a batch record outlives RESULT_TTL_MINUTES (a batch may wait in line before its items finish). */
export const BATCH_GRACE_SECONDS = 24 * 3600;

export class BatchRecords {
  constructor(
    private readonly connection: RedisClient,
    private readonly settings: Pick<QueueSettings, 'keys' | 'ttlSeconds'>,
  ) {}

  private key(batchId: string): string {
    return this.settings.keys.own('batch', batchId);
  }

  async create(record: BatchRecord): Promise<void> {
    const ttl = Math.max(1, Math.ceil(this.settings.ttlSeconds)) + BATCH_GRACE_SECONDS;
    await this.connection.set(this.key(record.batch_id), JSON.stringify(batchRecordSchema.parse(record)), 'EX', ttl);
  }

  /** The batch, or null when there is none (never was, or expired). */
  async read(batchId: string): Promise<BatchRecord | null> {
    const raw = await this.connection.get(this.key(batchId));
    return raw ? batchRecordSchema.parse(JSON.parse(raw)) : null;
  }

  /**
   * Notes that one of the batch's jobs ended (done, failed, canceled), and says whether the whole
   * batch has now ended. Idempotent (a set of ended jobs), so a job reported twice counts once;
   * a job that ends before its batch's record is written is counted when the record is checked
   * (call it with no job id right after create()).
   */
  async noteEnded(batchId: string, jobId?: string): Promise<BatchRecord | null> {
    const ended = `${this.key(batchId)}:ended`;
    const ttl = Math.max(1, Math.ceil(this.settings.ttlSeconds)) + BATCH_GRACE_SECONDS;
    if (jobId) await this.connection.multi().sadd(ended, jobId).expire(ended, ttl).exec();
    const [record, count] = await Promise.all([this.read(batchId), this.connection.scard(ended)]);
    if (!record) return null;
    const jobs = record.items.filter((item) => 'job_id' in item).length;
    return count >= jobs ? record : null;
  }

  /** The jobs of a batch, in order (items that never became jobs are left out). */
  async jobIds(batchId: string): Promise<string[] | null> {
    const record = await this.read(batchId);
    return record ? record.items.flatMap((item) => ('job_id' in item ? [item.job_id] : [])) : null;
  }
}
