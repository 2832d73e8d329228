// A batch as clients see it (GET /batches/{id}, its webhook): each item from its record entry and
// its job's view, the counts and progress. Shared by the api and the workers (webhooks).
import type { Config } from '../config.js';
import { jobExpired } from '../errors.js';
import { isTerminalStatus } from '../vocabulary.js';
import type { StatusView } from './contract.js';
import { ITEM_STATUSES, type BatchCounts, type BatchItem, type BatchItemView, type BatchRecord, type BatchStatus } from './batch-contract.js';
import { jobLinks } from './links.js';
import type { JobQueue } from './queue.js';
import type { Tombstone } from './status-rules.js';

type ViewDeps = { config: Pick<Config, 'PUBLIC_URL' | 'RESULT_TTL_MINUTES'>; queue: Pick<JobQueue, 'view'> };

/** Links to a batch's resources: absolute when PUBLIC_URL is set, else relative to the api. */
export function batchLinks(config: Pick<Config, 'PUBLIC_URL'>, batchId: string) {
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

/** One item as the batch shows it, from its record entry and its job's view (or tombstone). */
export function itemView(deps: Pick<ViewDeps, 'config'>, item: BatchItem, found: StatusView | Tombstone | null): BatchItemView {
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
    ...(view.status === 'done' && !expired && (view.result_version ?? 1) > 1 ? { result_version: view.result_version } : {}),
  };
}

/** Every item's view, reading the queue a few jobs at a time. */
export function itemViews(deps: ViewDeps, record: BatchRecord): Promise<BatchItemView[]> {
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

/** The whole batch now: every item, the counts, the progress and the links. */
export async function batchView(deps: ViewDeps, record: BatchRecord): Promise<BatchStatus> {
  const items = await itemViews(deps, record);
  const links = batchLinks(deps.config, record.batch_id);
  return { batch_id: record.batch_id, created_at: record.created_at, ...summarise(items), items, events_url: links.events, zip_url: links.zip };
}
