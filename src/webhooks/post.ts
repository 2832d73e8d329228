// What a webhook sends and how: the body (the job's status now, as GET /status shows it) and the
// POST itself, through the SSRF-checked client (src/net/) with the same rules as image_url.
import type { Config } from '../config.js';
import { jobLinks } from '../jobs/links.js';
import type { BatchRecords } from '../jobs/batches.js';
import { batchView } from '../jobs/batch-view.js';
import type { JobQueue } from '../jobs/queue.js';
import type { WebhookTarget } from '../jobs/webhooks.js';
import { parseAllowList, safeFetch, UrlRefusedError } from '../net/safe-fetch.js';
import { PermanentDeliveryError, type WebhookPost } from '../worker/webhook-delivery.js';

/** The receiver's answer is not kept: a small cap, so a chatty receiver costs nothing. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function webhookPost(config: Pick<Config, 'URL_FETCH_ALLOW_HOSTS' | 'WEBHOOK_TIMEOUT_SECONDS'>): WebhookPost {
  const allow = parseAllowList(config.URL_FETCH_ALLOW_HOSTS);
  return async (url, body, headers) => {
    try {
      await safeFetch(url, {
        method: 'POST',
        body,
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'Cutout-Webhooks/1.0' },
        maxBytes: MAX_ANSWER_BYTES,
        timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
        allow,
      });
    } catch (err) {
      if (err instanceof UrlRefusedError) throw new PermanentDeliveryError(err.message);
      throw err;
    }
  };
}

/**
 * A webhook's body: a job's status view with the result's link, as GET /status/{id} answers it;
 * a batch's status, as GET /batches/{id} answers it. Null when it is gone.
 */
export async function webhookBody(
  config: Pick<Config, 'PUBLIC_URL' | 'RESULT_TTL_MINUTES'>,
  from: { jobs: Pick<JobQueue, 'view'>; batches: Pick<BatchRecords, 'read'> },
  target: WebhookTarget,
): Promise<string | null> {
  if (target.kind === 'batch') {
    const record = await from.batches.read(target.id);
    return record ? JSON.stringify(await batchView({ config, queue: from.jobs }, record)) : null;
  }
  const found = await from.jobs.view(target.id);
  if (!found || ('reason' in found && found.reason === 'expired')) return null;
  const view = { ...('reason' in found ? found.view : found) };
  delete view.callback; // the delivery's own state is not part of the message
  if (view.status === 'done') view.result_url = jobLinks(config, view.job_id).result;
  return JSON.stringify(view);
}
