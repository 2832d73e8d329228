// The mask editor's server side: a done job's current mask at the photo's size, its source photo,
// and saving an edited mask (the result is re-rendered on a worker, with the job's own options,
// and the request waits for it like the compat endpoints do, at most SYNC_TIMEOUT_SECONDS).
// The api checks only what the mask's header says; the pixels are the worker's work.
import type { FastifyBaseLogger } from 'fastify';
import { decodeFailure, maskJobId, type MaskJobData, type StatusView } from '../../jobs/contract.js';
import { checkMaskHeader } from '../../cutout/mask-edit.js';
import { sniffFormat } from '../../cutout/image.js';
import { frameMaskKind, slotOf } from '../../storage/blob-store.js';
import { INPUT_MIME } from '../../vocabulary.js';
import type { ApiDeps } from '../deps.js';
import { conflict, HttpError, notFound, serviceUnavailable } from '../http-errors.js';
import { loadView, type FinishedViews } from './jobs.js';

/** The HTTP answer of a mask job that failed: the mask's fault is the client's (400), anything else ours. */
function maskJobFailure(reason: string | undefined, action: MaskJobData['action']): HttpError {
  const { code, message } = decodeFailure(reason);
  if (code === 'invalid_mask') return new HttpError(400, code, message);
  if (code === 'job_not_found') return notFound(message, code);
  if (code === 'processing_error') return new HttpError(500, action === 'apply' ? 'edit_failed' : code, message);
  return new HttpError(422, code, message); // the job's options cannot be applied to this mask (no subject to crop…)
}

/** The job's version of a done job (1 = the model's result). */
export const versionOf = (view: StatusView) => view.result_version ?? 1;

export type MasksService = ReturnType<typeof masksService>;

export function masksService(deps: ApiDeps, views?: FinishedViews) {
  const { config, store, queue } = deps;

  /**
   * A done job that is the editor's to work on: 404 until done. A job answered from the result
   * cache gets its own copy of the photo (and model mask, background) of the job it copied, the
   * first time it is edited: its edits are its own, and that job's are not its. 410 when that
   * job's files have expired meanwhile.
   */
  async function editable(jobId: string): Promise<StatusView> {
    const view = await loadView(deps, jobId);
    if (view.status !== 'done') {
      throw notFound(`The job is ${view.status}: its mask and photo are available once it is done.`, 'mask_not_ready');
    }
    if (view.cached && !(await store.hasFile('input', jobId))) await adopt(view);
    return view;
  }

  async function adopt(view: StatusView): Promise<void> {
    const from = (await queue.readTombstone(view.job_id))?.from;
    if (!from) {
      throw conflict(
        'This job was answered from the result cache before such jobs could be edited: it keeps no photo or mask to edit. Upload the photo again.',
        'edit_unavailable',
      );
    }
    // The photo last: once a cached job has it, it has everything (a repeat of a half copy copies again).
    if (view.options?.bg_image) await store.copyFile('background', from, view.job_id);
    await store.copyFile('mask', from, view.job_id);
    if (!(await store.copyFile('input', from, view.job_id))) {
      throw new HttpError(
        410,
        'source_expired',
        `This result was copied from an earlier job with the same photo (${from}), whose photo has since expired and been deleted, so it cannot be edited. Upload the photo again to edit it.`,
      );
    }
  }

  /** Queues a mask job and waits for its end (the events hub: no polling); past SYNC_TIMEOUT_SECONDS, 504. */
  async function runMaskJob(data: MaskJobData): Promise<void> {
    const { events } = deps;
    if (!events) throw serviceUnavailable('The mask editor needs the live events of the queue, which this server has not.', 'edits_unavailable');
    const seconds = config.SYNC_TIMEOUT_SECONDS;
    let unsubscribe = () => undefined as void;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        unsubscribe = events.onEnd(maskJobId(data), (end) => (end.failedReason === undefined ? resolve() : reject(maskJobFailure(end.failedReason, data.action))));
        timer = setTimeout(() => {
          const what = data.action === 'apply' ? `The edited mask is still being applied (result_version ${data.version})` : 'The mask is still being prepared';
          reject(new HttpError(504, 'sync_timeout', `${what} after ${seconds} s (SYNC_TIMEOUT_SECONDS). Follow the status of job ${data.jobId}, then ask again.`));
        }, seconds * 1000);
        queue.enqueueMask(data).catch(reject);
      });
    } finally {
      clearTimeout(timer);
      unsubscribe();
    }
  }

  return {
    /** The job's current mask at the photo's size (greyscale PNG), made on a worker the first time it is asked for. */
    async mask(jobId: string, requestId: string): Promise<{ png: Buffer; version: number; view: StatusView }> {
      const view = await editable(jobId);
      const version = versionOf(view);
      const kind = frameMaskKind(slotOf(version));
      let png = await store.readExtra(kind, jobId);
      if (!png && version === 1) {
        await runMaskJob({ requestId, jobId, action: 'export', version });
        png = await store.readExtra(kind, jobId);
      }
      if (!png) throw notFound('The mask is no longer available: the job\'s files were deleted. Please upload the image again.', 'result_expired');
      return { png, version, view };
    },

    /** The photo as it was uploaded, with its media type. */
    async source(jobId: string): Promise<{ bytes: Buffer; contentType: string; view: StatusView }> {
      const view = await editable(jobId);
      const bytes = await store.readInput(jobId).catch(() => null);
      if (!bytes) throw notFound('The photo is no longer available: the job\'s files were deleted. Please upload it again.', 'result_expired');
      const format = sniffFormat(bytes);
      return { bytes, contentType: format ? INPUT_MIME[format] : 'application/octet-stream', view };
    },

    /**
     * Saves an edited mask: checked (its header), stored for the next version, re-rendered on a
     * worker; answers the job's status once the new version is served. One edit of a job at a time.
     */
    async save(jobId: string, png: Buffer, requestId: string, log: FastifyBaseLogger): Promise<StatusView> {
      const { masks } = deps;
      if (!masks) throw serviceUnavailable('The mask editor is not available on this server.', 'edits_unavailable');
      const view = await loadView(deps, jobId);
      if (view.status !== 'done') throw conflict(`The job is ${view.status}: a mask can be saved once it is done.`, 'job_not_done');
      if (view.cached) await editable(jobId); // its own photo and mask, before the first edit
      await checkMaskHeader(png, view, config.MAX_IMAGE_PIXELS);
      const version = versionOf(view) + 1;
      if (!(await masks.begin(jobId, version))) {
        throw conflict('Another edit of this job\'s mask is being applied. Wait for it to end, then save again.', 'edit_in_progress');
      }
      // An edit that ended between reading the view and taking the lock made `version` the one served.
      views?.forget(jobId);
      if (versionOf(await loadView(deps, jobId)) + 1 !== version) {
        await masks.end(jobId, version);
        throw conflict('Another edit of this job\'s mask was just saved. Reload the mask, then save again.', 'edit_in_progress');
      }
      try {
        const job = await queue.getJob(jobId);
        if (job?.data.cacheKey) await queue.cacheForget(job.data.cacheKey, jobId);
        await store.putExtra(frameMaskKind(slotOf(version)), jobId, png);
      } catch (err) {
        await masks.end(jobId, version);
        throw err;
      }
      log.info({ jobId, version, bytes: png.length }, 'mask edit queued');
      // This api's short cache of done views must show the outcome (new version, or edit_error).
      await runMaskJob({ requestId, jobId, action: 'apply', version }).finally(() => views?.forget(jobId));
      return loadView(deps, jobId);
    },
  };
}
