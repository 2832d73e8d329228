import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { FORMATS, inspectImage } from '../../cutout/image.js';
import { BadRequestError, ServiceUnavailableError } from '../../errors.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { S } from '../schemas.js';
import { formatBytes } from '../errors.js';
import type { ApiMetrics } from '../../metrics.js';

/** A file name safe to show and to reuse in a download name. */
export function cleanFilename(name: string | undefined): string {
  const base = path.basename((name ?? '').replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '').trim().slice(0, 200);
  return clean || 'image';
}

export function removeBgRoute(app: FastifyInstance, { config, queue, store }: ApiDeps, metrics: ApiMetrics) {
  app.get(
    '/limits',
    {
      schema: {
        summary: 'What uploads are accepted',
        response: {
          200: {
            type: 'object',
            properties: {
              max_upload_bytes: { type: 'integer' },
              max_image_pixels: { type: 'integer' },
              formats: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
      logLevel: 'warn',
    },
    async () => ({ max_upload_bytes: config.MAX_UPLOAD_BYTES, max_image_pixels: config.MAX_IMAGE_PIXELS, formats: [...FORMATS] }),
  );

  app.post(
    '/remove-bg',
    {
      schema: {
        summary: 'Upload an image; its background is removed asynchronously',
        description:
          'Send the image as multipart/form-data in a field named `file` (JPEG, PNG, WebP, GIF, AVIF or TIFF; the format is ' +
          `recognised from the bytes). At most ${formatBytes(config.MAX_UPLOAD_BYTES)} and ${config.MAX_IMAGE_PIXELS / 1e6} megapixels. ` +
          'Answers 202 with the job id; follow `Location` (the status URL) or the events URL.',
        consumes: ['multipart/form-data'],
        response: { 202: S.accepted, 400: S.error, 413: S.error, 415: S.error, 422: S.error, 429: S.error, 503: S.error },
      },
      config: config.RATE_LIMIT_PER_MINUTE > 0 ? { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } } : {},
      // Refuse an announced oversize body before reading it.
      onRequest: async (req) => {
        const announced = Number(req.headers['content-length'] ?? 0);
        if (announced > config.MAX_UPLOAD_BYTES + 64 * 1024) {
          throw Object.assign(new Error('too large'), { code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 });
        }
      },
    },
    async (req, reply) => {
      const part = await req.file();
      if (!part) throw new BadRequestError('No file was uploaded. Send the image in a multipart field named "file".', 'file_missing');
      if (part.fieldname !== 'file') {
        part.file.resume();
        throw new BadRequestError(`The image must be in a field named "file" (got "${part.fieldname}").`, 'file_missing');
      }
      const bytes = await part.toBuffer();
      const info = await inspectImage(bytes, config.MAX_IMAGE_PIXELS);

      const jobId = randomUUID();
      await store.putInput(jobId, bytes);
      try {
        await queue.enqueue(jobId, {
          requestId: req.id,
          filename: cleanFilename(part.filename),
          format: info.format,
          bytes: bytes.length,
          width: info.width,
          height: info.height,
        });
      } catch (err) {
        req.log.error({ err }, 'enqueue failed');
        await store.deleteJob(jobId).catch(() => undefined);
        throw new ServiceUnavailableError('The job queue is unavailable right now. Please try again in a moment.', 'queue_unavailable');
      }
      metrics.enqueued.inc();
      req.log.info({ jobId, format: info.format, bytes: bytes.length, width: info.width, height: info.height }, 'job queued');
      const links = jobLinks(config, jobId);
      return reply
        .code(202)
        .header('location', links.status)
        .send({ job_id: jobId, status: 'queued', status_url: links.status, events_url: links.events });
    },
  );
}
