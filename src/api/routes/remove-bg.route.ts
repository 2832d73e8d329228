import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { inspectImage } from '../../cutout/image.js';
import { INPUT_FORMATS, INPUT_FORMATS_TEXT, UNSUPPORTED_IMAGE_TEXT } from '../../vocabulary.js';
import { BadRequestError, ServiceUnavailableError } from '../../errors.js';
import { jobLinks, type ApiDeps } from '../deps.js';
import { EXAMPLE, EXAMPLE_LINKS, HEADERS, ROUTE_SCHEMAS, errorResponse, response } from '../schemas.js';
import { fastifyErrorCase, tooManyUploads } from '../errors.js';
import { formatBytes } from '../../format.js';
import type { ApiMetrics } from '../../metrics.js';

/** A file name safe to show and to reuse in a download name. */
export function cleanFilename(name: string | undefined): string {
  const base = path.basename((name ?? '').replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '').trim().slice(0, 200);
  return clean || 'image';
}

const queueUnavailable = () =>
  new ServiceUnavailableError('The job queue is unavailable right now. Please try again in a moment.', 'queue_unavailable');

export function removeBgRoute(app: FastifyInstance, { config, queue, store }: ApiDeps, metrics: ApiMetrics) {
  const limits = { max_upload_bytes: config.MAX_UPLOAD_BYTES, max_image_pixels: config.MAX_IMAGE_PIXELS, formats: [...INPUT_FORMATS] };
  app.get(
    '/limits',
    {
      schema: {
        summary: 'What uploads are accepted',
        description: 'The size and pixel limits and the formats POST /remove-bg accepts, so a client can check a file before sending it.',
        operationId: 'getLimits',
        tags: ['uploads'],
        response: {
          200: response(
            'The limits of this deployment',
            {
              type: 'object',
              properties: {
                max_upload_bytes: { type: 'integer', description: 'Largest accepted file, in bytes (MAX_UPLOAD_BYTES).' },
                max_image_pixels: { type: 'integer', description: 'Largest accepted width × height (MAX_IMAGE_PIXELS).' },
                formats: { type: 'array', items: { type: 'string' }, description: 'Accepted formats, recognised from the bytes.' },
              },
            },
            limits,
          ),
        },
      },
      logLevel: 'warn',
    },
    async () => limits,
  );

  app.post(
    '/remove-bg',
    {
      schema: {
        summary: 'Upload an image; its background is removed asynchronously',
        description:
          `Send the image as multipart/form-data in a field named \`file\` (${INPUT_FORMATS_TEXT}; the format is ` +
          `recognised from the bytes). At most ${formatBytes(config.MAX_UPLOAD_BYTES)} and ${config.MAX_IMAGE_PIXELS / 1e6} megapixels. ` +
          'Answers 202 with the job id; follow `Location` (the status URL) or the events URL.',
        operationId: 'removeBackground',
        tags: ['jobs'],
        consumes: ['multipart/form-data'],
        body: {
          type: 'object',
          required: ['file'],
          properties: {
            file: { type: 'string', format: 'binary', description: 'The image. Its file name is kept for the download name.' },
          },
        },
        response: {
          202: response(
            'Accepted: the job is queued',
            ROUTE_SCHEMAS.accepted,
            { job_id: EXAMPLE.jobId, status: 'queued', status_url: EXAMPLE_LINKS.status, events_url: EXAMPLE_LINKS.events },
            { Location: HEADERS.location },
          ),
          400: errorResponse(
            'The form is not usable: no file, the wrong field name, an empty file, several files',
            ['file_missing', 'No file was uploaded. Send the image in a multipart field named "file".'],
            ['empty_file', 'The file is empty.'],
            fastifyErrorCase('FST_FILES_LIMIT', config.MAX_UPLOAD_BYTES),
          ),
          413: errorResponse(
            'The file or the image is too large',
            fastifyErrorCase('FST_REQ_FILE_TOO_LARGE', config.MAX_UPLOAD_BYTES),
            ['image_too_large', `The image is 12000x9000 (108.0 megapixels); the limit is ${(config.MAX_IMAGE_PIXELS / 1e6).toFixed(1)} megapixels. Please resize it and try again.`],
          ),
          415: errorResponse(
            'Not an image this service reads, or not a multipart upload',
            ['unsupported_media_type', UNSUPPORTED_IMAGE_TEXT],
            fastifyErrorCase('FST_INVALID_MULTIPART_CONTENT_TYPE', config.MAX_UPLOAD_BYTES),
          ),
          422: errorResponse(
            'An image format this service reads, but the file is damaged or incomplete',
            ['truncated_image', 'The JPEG file is incomplete (it looks truncated). Please upload the whole file.'],
            ['invalid_image', 'The PNG file is damaged and cannot be read.'],
          ),
          429: {
            ...errorResponse('Too many uploads from this client (RATE_LIMIT_PER_MINUTE)', ['rate_limited', tooManyUploads(30, 42)]),
            headers: { 'Retry-After': HEADERS.retryAfter },
          },
          503: errorResponse('The queue (Redis) is unreachable; nothing was stored', queueUnavailable()),
        },
      },
      // The body is a multipart stream read by the handler (req.file()): the schema above documents
      // it, and is not used to validate a parsed body (there is none).
      validatorCompiler: () => () => true,
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
        throw queueUnavailable();
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
