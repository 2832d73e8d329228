// An upload becomes a job: check the bytes, store them, enqueue. Nothing is left behind when the
// queue refuses (the stored input is deleted).
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { inspectImage } from '../../cutout/image.js';
import type { ApiMetrics } from '../../metrics.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { badRequest, serviceUnavailable } from '../http-errors.js';

/** A file name safe to show and to reuse in a download name. */
export function cleanFilename(name: string | undefined): string {
  const base = path.basename((name ?? '').replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '').trim().slice(0, 200);
  return clean || 'image';
}

export const queueUnavailable = () =>
  serviceUnavailable('The job queue is unavailable right now. Please try again in a moment.', 'queue_unavailable');

/** A form field other than "file": refused, so that nothing a client sends is silently ignored. */
export const unknownField = (name: string) =>
  badRequest(`The form field "${name.slice(0, 64)}" is not accepted: send only the image, in the field "file".`, 'unknown_field');

export interface Upload {
  bytes: Buffer;
  filename: string | undefined;
  requestId: string;
}

export interface Accepted {
  job_id: string;
  status: 'queued';
  status_url: string;
  events_url: string;
}

export async function acceptUpload(
  { config, queue, store }: Pick<ApiDeps, 'config' | 'queue' | 'store'>,
  upload: Upload,
  log: FastifyBaseLogger,
  metrics: ApiMetrics,
): Promise<Accepted> {
  const info = await inspectImage(upload.bytes, config.MAX_IMAGE_PIXELS);
  const jobId = randomUUID();
  await store.putInput(jobId, upload.bytes);
  const data = {
    requestId: upload.requestId,
    filename: cleanFilename(upload.filename),
    format: info.format,
    bytes: upload.bytes.length,
    width: info.width,
    height: info.height,
  };
  try {
    await queue.enqueue(jobId, data);
  } catch (err) {
    log.error({ err }, 'enqueue failed');
    await store.deleteJob(jobId).catch(() => undefined);
    throw queueUnavailable();
  }
  metrics.enqueued.inc();
  log.info({ jobId, format: info.format, bytes: data.bytes, width: info.width, height: info.height }, 'job queued');
  const links = jobLinks(config, jobId);
  return { job_id: jobId, status: 'queued', status_url: links.status, events_url: links.events };
}
