// Delivers webhooks: one BullMQ worker on the webhook queue, in every worker process. Each attempt
// signs the message afresh (Standard Webhooks: a new timestamp, the same id and body) and POSTs it
// through the SSRF-checked client; a refused address is not retried, anything else is, with
// jittered exponential backoff, and every attempt is recorded for the status.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Config } from '../config.js';
import { createRedis } from '../jobs/redis-connection.js';
import { webhookQueueName, type WebhookQueue, type WebhookTarget } from '../jobs/webhooks.js';
import type { Logger } from '../logger.js';
import { signWebhook, webhookKey, type WebhookHeaders } from '../webhooks/sign.js';

/** Sends one signed message; throws when the receiver did not answer 2xx. */
export type WebhookPost = (url: string, body: string, headers: WebhookHeaders) => Promise<void>;

/** An error that retrying cannot fix (the URL's address is refused). */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

export interface DeliveryDeps {
  webhooks: WebhookQueue;
  /** The JSON body reporting a job or batch now; null when it is gone (nothing to report). */
  bodyOf(target: WebhookTarget): Promise<string | null>;
  post: WebhookPost;
  key: Buffer;
  logger: Logger;
}

export function createWebhookProcessor(deps: DeliveryDeps) {
  return async function deliver(job: Job<WebhookTarget>): Promise<string> {
    const target = job.data;
    const attempt = job.attemptsMade + 1;
    const log = deps.logger.child({ webhook: job.id, attempt });
    let body = target.body;
    if (body === undefined) {
      const now = await deps.bodyOf(target);
      if (now === null) {
        log.warn({ kind: target.kind, id: target.id }, 'webhook not sent: its job or batch is gone');
        await deps.webhooks.record(target, { state: 'failed', attempts: attempt - 1, last_error: 'The job or batch expired before its webhook could be sent.' });
        return 'gone';
      }
      body = now;
      await job.updateData({ ...target, body });
    }
    const headers = signWebhook(deps.key, `msg_${target.kind}_${target.id}`, body);
    try {
      await deps.post(target.url, body, headers);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const last = err instanceof PermanentDeliveryError || attempt >= (job.opts.attempts ?? 1);
      await deps.webhooks.record(target, { state: last ? 'failed' : 'pending', attempts: attempt, last_error: message });
      log.info({ outcome: last ? 'failed' : 'retry', reason: message }, 'webhook attempt failed');
      throw err instanceof PermanentDeliveryError ? new UnrecoverableError(message) : err;
    }
    await deps.webhooks.record(target, { state: 'delivered', attempts: attempt, delivered_at: new Date().toISOString() });
    log.info({ outcome: 'delivered' }, 'webhook delivered');
    return 'delivered';
  };
}

/** Starts delivering; returns the closer. */
export function startWebhookDelivery(config: Config, deps: Omit<DeliveryDeps, 'key'>) {
  const connection = createRedis(config, 'worker');
  const worker = new Worker<WebhookTarget>(webhookQueueName(config.QUEUE_NAME), createWebhookProcessor({ ...deps, key: webhookKey(config.WEBHOOK_SECRET) }), {
    connection,
    prefix: deps.webhooks.settings.keys.bullPrefix,
    concurrency: 8, // deliveries wait on the network, not the CPU
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'webhook worker error'));
  return async () => {
    await worker.close();
    connection.disconnect();
  };
}
