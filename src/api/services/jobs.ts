// Reading and changing one job, for the job routes: its status view (with a short cache of
// finished views, one per app), its result, the failed list, cancel.
import type { FastifyBaseLogger } from 'fastify';
import { jobExpired, unknownJob } from '../../errors.js';
import { isJobId, type StatusView } from '../../jobs/contract.js';
import type { ApiMetrics } from '../../metrics.js';
import { slotOf, type StoredBlob } from '../../storage/blob-store.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { conflict, notFound } from '../http-errors.js';
import { RESULT_CACHE_CONTROL, resultType } from '../result-headers.js';
import { apiJobEnded } from './job-ended.js';

/**
 * Views of finished jobs (done, failed, canceled) never change until they expire, and clients
 * poll them: they are kept for FINISHED_CACHE_MS, so a burst of polls costs Redis nothing.
 * Queued and processing jobs are always read fresh. An expiry shows at most that much later.
 */
const FINISHED_CACHE_MS = 2000;
const FINISHED_CACHE_MAX = 10_000;

export class FinishedViews {
  private readonly views = new Map<string, { view: StatusView; until: number }>();

  get(jobId: string): StatusView | undefined {
    const hit = this.views.get(jobId);
    if (!hit) return undefined;
    if (hit.until > Date.now()) return hit.view;
    this.views.delete(jobId);
    return undefined;
  }

  remember(view: StatusView): void {
    if (view.status === 'queued' || view.status === 'processing') return;
    if (this.views.size >= FINISHED_CACHE_MAX) this.views.delete(this.views.keys().next().value!);
    this.views.set(view.job_id, { view, until: Date.now() + FINISHED_CACHE_MS });
  }

  clear(): void {
    this.views.clear();
  }

  /** Drops one job's view: it changed (a saved mask edit). */
  forget(jobId: string): void {
    this.views.delete(jobId);
  }
}

/** The status view of a job, with its links; 404 when unknown, 410 when expired. */
export async function loadView(
  { config, queue, webhooks }: Pick<ApiDeps, 'config' | 'queue' | 'webhooks'>,
  jobId: string,
  cache?: FinishedViews,
): Promise<StatusView> {
  if (!isJobId(jobId)) throw unknownJob(jobId);
  const cached = cache?.get(jobId);
  if (cached) return cached;
  const found = await queue.view(jobId);
  if (!found) throw unknownJob(jobId);
  if ('reason' in found && found.reason === 'expired') throw jobExpired(config.RESULT_TTL_MINUTES);
  const view = 'reason' in found ? found.view : found;
  if (view.status === 'done') view.result_url = jobLinks(config, jobId).result;
  if (view.callback && webhooks) view.callback = (await webhooks.state('job', jobId).catch(() => null)) ?? view.callback;
  cache?.remember(view);
  return view;
}

export type JobsService = ReturnType<typeof jobsService>;

/** A done job's result: its bytes to stream through the api, or a presigned URL to send the client to. */
export type ResultDelivery = { view: StatusView } & ({ blob: StoredBlob } | { redirect: string });

const expired = () => notFound('The result has expired and was deleted. Please upload the image again.', 'result_expired');

export function jobsService(deps: ApiDeps, metrics: ApiMetrics, cache = new FinishedViews()) {
  const status = (jobId: string) => loadView(deps, jobId, cache);
  return {
    status,

    /** Runs the TTL cleanup now; this api's answers show what it removed at once (no cached views). */
    async cleanup() {
      const report = await deps.cleanup!();
      cache.clear();
      return report;
    },

    /**
     * A done job's result, or the reason there is none. With RESULT_DELIVERY=redirect (and a store
     * that can sign links) a short-lived URL into the bucket; the file's presence is checked first,
     * so an expired result still answers the api's own 404 rather than the bucket's.
     */
    async result(jobId: string): Promise<ResultDelivery> {
      const view = await status(jobId);
      if (view.status === 'queued' || view.status === 'processing') {
        throw notFound(`The result is not ready yet: the job is ${view.status}. Try again when its status is done.`, 'result_not_ready');
      }
      if (view.status === 'failed') throw notFound(`The job failed, so there is no result: ${view.error ?? 'unknown reason'}`, 'job_failed');
      if (view.status === 'canceled') throw notFound('The job was canceled, so there is no result.', 'job_canceled');
      const { store, config } = deps;
      // The version the status names is in its slot (a saved mask edit makes a new one).
      const slot = slotOf(view.result_version ?? 1);
      if (config.RESULT_DELIVERY === 'redirect' && store.resultUrl) {
        if (!(await store.hasResult(view.job_id, slot))) throw expired();
        const link = { ...resultType(view), cacheControl: RESULT_CACHE_CONTROL, expiresInSeconds: config.RESULT_URL_TTL_SECONDS };
        return { view, redirect: await store.resultUrl(view.job_id, link, slot) };
      }
      const blob = await store.openResult(view.job_id, slot);
      if (!blob) throw expired();
      return { view, blob };
    },

    async failed(page: number, perPage: number) {
      const { total, jobs } = await deps.queue.failed(page, perPage);
      return { page, per_page: perPage, total, jobs };
    },

    /** Cancels a job: 'canceled' (it was queued) or 'canceling' (in hand), with its view now. */
    async cancel(jobId: string, log: FastifyBaseLogger): Promise<{ outcome: 'canceled' | 'canceling'; view: StatusView }> {
      if (!isJobId(jobId)) throw unknownJob(jobId);
      const outcome = await deps.queue.cancel(jobId);
      if (outcome === null) throw unknownJob(jobId);
      if (outcome === 'finished') {
        const view = await loadView(deps, jobId);
        throw conflict(`The job is already ${view.status}; there is nothing to cancel.`, 'job_finished');
      }
      if (outcome === 'canceled') await deps.store.deleteJob(jobId);
      metrics.canceled.inc();
      log.info({ jobId, outcome }, 'cancel requested');
      const view = await loadView(deps, jobId);
      // A job in hand ends on its worker, which sends its webhook; one removed from the line ends here.
      if (outcome === 'canceled') await apiJobEnded(deps, { id: jobId, callbackUrl: view.callback?.url, batchId: view.batch_id }, log);
      return { outcome, view };
    },
  };
}
