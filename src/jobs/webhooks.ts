// The webhook delivery queue and each callback's delivery record, in Redis beside the job queue.
// A delivery is a BullMQ job of its own (retried with jittered exponential backoff); its id is
// derived from the job or batch it reports, so asking twice delivers once.
import { Queue, type JobsOptions } from 'bullmq';
import type { RedisClient } from './redis-connection.js';
import { redisKeys, type RedisKeys } from './redis-keys.js';
import type { Config } from '../config.js';
import { z } from 'zod';
import { callbackStateSchema, type CallbackState } from './contract.js';

export const WEBHOOK_JOB = 'deliver';
export const webhookQueueName = (queueName: string) => `${queueName}-webhooks`;

export const webhookTargetSchema = z.object({
  kind: z.enum(['job', 'batch']),
  /** The job's or batch's id. */
  id: z.string(),
  url: z.string(),
  /** The body, fixed at the first attempt so every retry sends the same message. */
  body: z.string().optional(),
});
export type WebhookTarget = z.infer<typeof webhookTargetSchema>;

export interface WebhookSettings {
  queueName: string;
  /** The job queue's keys: the delivery queue and its records live beside them. */
  keys: RedisKeys;
  attempts: number;
  backoffMs: number;
  /** How long delivery records are kept (as long as results). */
  ttlSeconds: number;
}

export function webhookSettings(
  config: Pick<Config, 'QUEUE_NAME' | 'WEBHOOK_ATTEMPTS' | 'WEBHOOK_BACKOFF_SECONDS' | 'RESULT_TTL_MINUTES' | 'REDIS_SENTINELS' | 'REDIS_CLUSTER_NODES'>,
): WebhookSettings {
  return {
    queueName: config.QUEUE_NAME,
    keys: redisKeys(config.QUEUE_NAME, config),
    attempts: config.WEBHOOK_ATTEMPTS,
    backoffMs: Math.round(config.WEBHOOK_BACKOFF_SECONDS * 1000),
    ttlSeconds: Math.max(3600, Math.round(config.RESULT_TTL_MINUTES * 60)),
  };
}

export function webhookJobOptions(s: WebhookSettings): JobsOptions {
  return {
    attempts: s.attempts,
    // ±50% jitter, so receivers that failed together are not retried together.
    backoff: { type: 'exponential', delay: s.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: s.ttlSeconds },
    removeOnFail: { age: s.ttlSeconds },
  };
}

export class WebhookQueue {
  private readonly bull: Queue<WebhookTarget>;
  constructor(
    private readonly connection: RedisClient,
    readonly settings: WebhookSettings,
  ) {
    this.bull = new Queue<WebhookTarget>(webhookQueueName(settings.queueName), {
      connection,
      prefix: settings.keys.bullPrefix,
      defaultJobOptions: webhookJobOptions(settings),
    });
    this.bull.on('error', () => undefined);
  }

  private key(kind: WebhookTarget['kind'], id: string) {
    return this.settings.keys.own('callback', kind, id);
  }

  /** Queues the delivery that reports a finished job or batch; a second request for it is a no-op. */
  async request(target: Omit<WebhookTarget, 'body'>): Promise<void> {
    const key = this.key(target.kind, target.id);
    await this.connection
      .multi()
      .hsetnx(key, 'url', target.url)
      .hsetnx(key, 'state', 'pending')
      .hsetnx(key, 'attempts', '0')
      .expire(key, this.settings.ttlSeconds)
      .exec();
    await this.bull.add(WEBHOOK_JOB, target, { jobId: `${target.kind}-${target.id}` });
  }

  /** Notes an attempt's outcome. */
  async record(target: Pick<WebhookTarget, 'kind' | 'id' | 'url'>, outcome: Partial<Omit<CallbackState, 'url'>>): Promise<void> {
    const key = this.key(target.kind, target.id);
    const fields = Object.entries({ url: target.url, ...outcome }).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
    await this.connection.multi().hset(key, ...fields).expire(key, this.settings.ttlSeconds).exec();
  }

  /** A callback's delivery so far; null before its job or batch asked for it. */
  async state(kind: WebhookTarget['kind'], id: string): Promise<CallbackState | null> {
    const raw = await this.connection.hgetall(this.key(kind, id));
    if (!raw.url) return null;
    const parsed = callbackStateSchema.safeParse({ ...raw, attempts: Number(raw.attempts ?? 0) });
    return parsed.success ? parsed.data : null;
  }

  close(): Promise<void> {
    return this.bull.close();
  }
}
