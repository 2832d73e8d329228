// What follows a job's end (done, failed, canceled), wherever it ends (a worker, a cancel in the
// api, the result cache): its webhook, and its batch's count, with the batch's webhook when it
// was the batch's last job. Every step is idempotent, so reporting an end twice is harmless.
import type { BatchRecords } from './batches.js';
import type { WebhookQueue } from './webhooks.js';

export interface EndParts {
  webhooks?: Pick<WebhookQueue, 'request'>;
  batches?: Pick<BatchRecords, 'noteEnded'>;
}

export interface EndedJob {
  id: string;
  callbackUrl?: string;
  batchId?: string;
}

export async function jobEnded(parts: EndParts, job: EndedJob): Promise<void> {
  if (job.callbackUrl) await parts.webhooks?.request({ kind: 'job', id: job.id, url: job.callbackUrl });
  if (job.batchId) await batchJobEnded(parts, job.batchId, job.id);
}

/** Counts one of a batch's jobs as ended (none: only checks); the batch's webhook when all have. */
export async function batchJobEnded(parts: EndParts, batchId: string, jobId: string | undefined): Promise<void> {
  const ended = await parts.batches?.noteEnded(batchId, jobId);
  if (ended?.callback_url) await parts.webhooks?.request({ kind: 'batch', id: batchId, url: ended.callback_url });
}
