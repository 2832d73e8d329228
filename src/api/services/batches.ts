// A batch: many images, one set of options, each image an ordinary job (made by acceptImage, as
// for POST /remove-bg), and a record in Redis listing them in order. Items that cannot become
// jobs (not an image, a nested archive, too large) are kept in the record with their reason; the
// rest of the batch goes on. Reading a batch reads each job's view (one round trip each).
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { CutoutError } from '../../errors.js';
import { isJobId } from '../../jobs/contract.js';
import type { BatchRecords } from '../../jobs/batches.js';
import type { BatchAccepted, BatchItem, BatchRecord, BatchStatus } from '../../jobs/batch-contract.js';
import type { ApiMetrics } from '../../metrics.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../http-errors.js';
import { uniqueNames } from '../../names.js';
import { batchLinks, batchView, mapLimit } from '../../jobs/batch-view.js';
export { batchLinks, itemView, itemViews, mapLimit, summarise } from '../../jobs/batch-view.js';
import { batchItemEnded } from './job-ended.js';
import { acceptImage, queueUnavailable, resolveOptions } from './upload.js';
import type { BatchSource } from './zip-input.js';

export type BatchDeps = Pick<ApiDeps, 'config' | 'queue' | 'store' | 'webhooks' | 'idempotency'> & { batches: Pick<BatchRecords, 'create' | 'read' | 'noteEnded'> };

export interface BatchRequest {
  /** The batch's files in order: image bytes with a name, or why a file cannot be an item. */
  sources: BatchSource[];
  /** Options for every item, as the client wrote them (name → text). */
  options?: Record<string, string>;
  background?: Buffer;
  requestId: string;
  scope?: string;
  /** A checked callback URL: the batch's status is POSTed there when every item has ended. */
  callbackUrl?: string;
}

const noUsableItems = (items: BatchItem[]) => {
  const reasons = items.slice(0, 5).map((i) => ('error' in i ? `${i.filename}: ${i.error.message}` : i.filename));
  const more = items.length > 5 ? ` (and ${items.length - 5} more)` : '';
  return badRequest(`None of the ${items.length} files of the batch can be processed. ${reasons.join(' ')}${more}`.trim(), 'no_usable_items');
};

export const unknownBatch = (batchId: string) =>
  notFound(`No batch with id "${batchId.slice(0, 64)}" exists. It may never have existed, or it expired and was deleted.`, 'batch_not_found');

/** Every source becomes a job or an item error; a batch with no job at all is refused (400). */
export async function createBatch(deps: BatchDeps, request: BatchRequest, log: FastifyBaseLogger, metrics: ApiMetrics): Promise<BatchAccepted> {
  const { config } = deps;
  const options = await resolveOptions(config, request.options, request.background);
  const names = uniqueNames(request.sources.map((s) => s.filename));
  const batchId = randomUUID();
  const created: string[] = [];
  /** Items done at once from the result cache: they end without a worker. */
  const doneAtOnce: string[] = [];
  let items: BatchItem[];
  try {
    // One at a time, so that the items are queued (and processed) in the batch's order.
    items = await mapLimit(request.sources, 1, async (source, i): Promise<BatchItem> => {
      const filename = names[i]!;
      if ('error' in source) return { filename, error: source.error };
      try {
        const job = { ...source, filename, options, background: request.background, requestId: request.requestId, scope: request.scope, batchId };
        const accepted = await acceptImage(deps, job, log, metrics);
        created.push(accepted.job_id);
        if (accepted.status === 'done') doneAtOnce.push(accepted.job_id);
        return { job_id: accepted.job_id, filename };
      } catch (err) {
        if (err instanceof CutoutError) return { filename, error: { code: err.code, message: err.message } };
        throw err;
      }
    });
    if (!items.some((item) => 'job_id' in item)) throw noUsableItems(items);
  } catch (err) {
    await undo(deps, created);
    throw err;
  }
  try {
    await deps.batches.create({ batch_id: batchId, created_at: new Date().toISOString(), request_id: request.requestId, items, callback_url: request.callbackUrl });
  } catch (err) {
    log.error({ err }, 'batch record not written');
    await undo(deps, created);
    throw queueUnavailable();
  }
  log.info({ batchId, jobs: created.length, rejected: items.length - created.length }, 'batch queued');
  // Items that ended before the record existed (from the cache, or a very fast worker) are counted now.
  for (const jobId of doneAtOnce) await batchItemEnded(deps, batchId, jobId, log);
  await batchItemEnded(deps, batchId, undefined, log);
  const links = batchLinks(config, batchId);
  return { batch_id: batchId, items, status_url: links.status, events_url: links.events, zip_url: links.zip };
}

/** Jobs of a batch that will not be: canceled and their files deleted, as far as Redis lets us. */
async function undo(deps: Pick<BatchDeps, 'queue' | 'store'>, jobIds: string[]): Promise<void> {
  await mapLimit(jobIds, 8, async (id) => {
    await deps.queue.cancel(id).catch(() => null);
    await deps.store.deleteJob(id).catch(() => undefined);
  });
}

export async function loadBatch(deps: Pick<BatchDeps, 'batches'>, batchId: string): Promise<BatchRecord> {
  if (!isJobId(batchId)) throw unknownBatch(batchId);
  const record = await deps.batches.read(batchId);
  if (!record) throw unknownBatch(batchId);
  return record;
}

export async function batchStatus(deps: Pick<BatchDeps, 'config' | 'queue' | 'batches'>, batchId: string): Promise<BatchStatus> {
  return batchView(deps, await loadBatch(deps, batchId));
}

/** Cancels every item still queued or processing; says how many were canceled, are stopping, or had finished. */
export async function cancelBatch(deps: BatchDeps, batchId: string, log: FastifyBaseLogger, metrics: ApiMetrics) {
  const record = await loadBatch(deps, batchId);
  const tally = { canceled: 0, canceling: 0, finished: 0 };
  await mapLimit(record.items, 8, async (item) => {
    if (!('job_id' in item)) return;
    const outcome = (await deps.queue.cancel(item.job_id)) ?? 'finished';
    if (outcome === 'canceled') {
      await deps.store.deleteJob(item.job_id);
      await batchItemEnded(deps, batchId, item.job_id, log);
    }
    if (outcome !== 'finished') metrics.canceled.inc();
    tally[outcome]++;
  });
  log.info({ batchId, ...tally }, 'batch cancel requested');
  return { batch_id: batchId, ...tally };
}
