// A batch: many images, one set of options, each image an ordinary job (made by acceptImage, as
// for POST /remove-bg), and a record in Redis listing them in order. Items that cannot become
// jobs (not an image, a nested archive, too large) are kept in the record with their reason; the
// rest of the batch goes on. Reading a batch reads each job's view (one round trip each).
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { CutoutError, jobExpired } from '../../errors.js';
import { isJobId, type StatusView } from '../../jobs/contract.js';
import type { BatchRecords } from '../../jobs/batches.js';
import { ITEM_STATUSES, type BatchAccepted, type BatchCounts, type BatchItem, type BatchItemView, type BatchRecord, type BatchStatus } from '../../jobs/batch-contract.js';
import type { Tombstone } from '../../jobs/status-rules.js';
import type { ApiMetrics } from '../../metrics.js';
import { isTerminalStatus } from '../../vocabulary.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../http-errors.js';
import { uniqueNames } from './batch-names.js';
import { acceptImage, queueUnavailable, resolveOptions } from './upload.js';
import type { BatchSource } from './zip-input.js';

export type BatchDeps = Pick<ApiDeps, 'config' | 'queue' | 'store'> & { batches: Pick<BatchRecords, 'create' | 'read'> };

export interface BatchRequest {
  /** The batch's files in order: image bytes with a name, or why a file cannot be an item. */
  sources: BatchSource[];
  /** Options for every item, as the client wrote them (name → text). */
  options?: Record<string, string>;
  background?: Buffer;
  requestId: string;
  scope?: string;
}

/** Links to a batch's resources: absolute when PUBLIC_URL is set, else relative to the api. */
export function batchLinks(config: ApiDeps['config'], batchId: string) {
  const base = `${config.PUBLIC_URL.replace(/\/$/, '')}/batches/${batchId}`;
  return { status: base, events: `${base}/events`, zip: `${base}/zip` };
}

/** Runs `fn` over `items` with at most `limit` at once; the answers keep the items' order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
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
  const created: string[] = [];
  let items: BatchItem[];
  try {
    // One at a time, so that the items are queued (and processed) in the batch's order.
    items = await mapLimit(request.sources, 1, async (source, i): Promise<BatchItem> => {
      const filename = names[i]!;
      if ('error' in source) return { filename, error: source.error };
      try {
        const accepted = await acceptImage(deps, { ...source, filename, options, background: request.background, requestId: request.requestId, scope: request.scope }, log, metrics);
        created.push(accepted.job_id);
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
  const batchId = randomUUID();
  try {
    await deps.batches.create({ batch_id: batchId, created_at: new Date().toISOString(), request_id: request.requestId, items });
  } catch (err) {
    log.error({ err }, 'batch record not written');
    await undo(deps, created);
    throw queueUnavailable();
  }
  log.info({ batchId, jobs: created.length, rejected: items.length - created.length }, 'batch queued');
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

/** One item as the batch shows it, from its record entry and its job's view (or tombstone). */
export function itemView(deps: Pick<BatchDeps, 'config'>, item: BatchItem, found: StatusView | Tombstone | null): BatchItemView {
  if ('error' in item) return { filename: item.filename, status: 'rejected', error: item.error.message, error_code: item.error.code };
  const expired = found === null || ('reason' in found && found.reason === 'expired');
  const view = found && ('reason' in found ? found.view : found);
  if (!view) return { job_id: item.job_id, filename: item.filename, status: 'failed', error: jobExpired(deps.config.RESULT_TTL_MINUTES).message, error_code: 'job_expired', expired: true };
  return {
    job_id: item.job_id,
    filename: item.filename,
    status: view.status,
    ...(view.error ? { error: view.error, error_code: view.error_code } : {}),
    ...(expired ? { expired: true } : {}),
    ...(view.status === 'processing' && view.progress ? { progress: view.progress } : {}),
    ...(view.status === 'done' && !expired ? { result: view.result, result_url: jobLinks(deps.config, item.job_id).result } : {}),
  };
}

/** Every item's view, reading the queue a few jobs at a time. */
export function itemViews(deps: Pick<BatchDeps, 'config' | 'queue'>, record: BatchRecord): Promise<BatchItemView[]> {
  return mapLimit(record.items, 16, async (item) => itemView(deps, item, 'job_id' in item ? await deps.queue.view(item.job_id) : null));
}

export function summarise(items: readonly Pick<BatchItemView, 'status' | 'progress'>[]) {
  const counts = Object.fromEntries(ITEM_STATUSES.map((s) => [s, 0])) as BatchCounts;
  let percent = 0;
  for (const item of items) {
    counts[item.status]++;
    if (isTerminalStatus(item.status)) percent += 100;
    else if (item.status === 'processing') percent += item.progress?.percent ?? 0;
  }
  const jobs = items.length - counts.rejected;
  const finished = counts.done + counts.failed + counts.canceled;
  const status: 'queued' | 'processing' | 'done' = finished === jobs ? 'done' : counts.processing > 0 || finished > 0 ? 'processing' : 'queued';
  return { status, counts, progress: jobs === 0 ? 100 : Math.floor(percent / jobs) };
}

export async function batchStatus(deps: Pick<BatchDeps, 'config' | 'queue' | 'batches'>, batchId: string): Promise<BatchStatus> {
  const record = await loadBatch(deps, batchId);
  const items = await itemViews(deps, record);
  const links = batchLinks(deps.config, batchId);
  return { batch_id: batchId, created_at: record.created_at, ...summarise(items), items, events_url: links.events, zip_url: links.zip };
}

/** Cancels every item still queued or processing; says how many were canceled, are stopping, or had finished. */
export async function cancelBatch(deps: BatchDeps, batchId: string, log: FastifyBaseLogger, metrics: ApiMetrics) {
  const record = await loadBatch(deps, batchId);
  const tally = { canceled: 0, canceling: 0, finished: 0 };
  await mapLimit(record.items, 8, async (item) => {
    if (!('job_id' in item)) return;
    const outcome = (await deps.queue.cancel(item.job_id)) ?? 'finished';
    if (outcome === 'canceled') await deps.store.deleteJob(item.job_id);
    if (outcome !== 'finished') metrics.canceled.inc();
    tally[outcome]++;
  });
  log.info({ batchId, ...tally }, 'batch cancel requested');
  return { batch_id: batchId, ...tally };
}
