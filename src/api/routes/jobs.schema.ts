// What the job routes accept and answer, with their OpenAPI texts and examples.
import { z } from 'zod';
import { unknownJob } from '../../errors.js';
import { statusViewSchema } from '../../jobs/contract.js';
import { JOB_STATUSES } from '../../vocabulary.js';
import { EXAMPLE, JOB_ERRORS, ROUTE_SCHEMAS, STATUS_EXAMPLES, errorResponse, jsonSchema, response, statusExamples } from '../schemas.js';

export const STATUS_SCHEMA = {
  summary: 'The state of a job',
  description:
    '`status` is one of queued, processing, done, failed, canceled. A queued job has its `position` (1 = next) and ' +
    '`eta_seconds`; a processing one its `progress`; a done one its `result_url`; a failed one an `error` a person can act on.',
  operationId: 'getStatus',
  tags: ['jobs'],
  params: ROUTE_SCHEMAS.jobParams,
  response: {
    200: response('The job and its state', ROUTE_SCHEMAS.status, statusExamples(...JOB_STATUSES)),
    ...JOB_ERRORS,
  },
};

export const FAILED_JOBS_SCHEMA = {
  summary: 'Failed and canceled jobs, newest first, with their reasons',
  description: 'For operators: what failed and why, until the jobs expire. Paginated.',
  operationId: 'listFailedJobs',
  tags: ['operations'],
  querystring: jsonSchema(
    z.object({
      // Query strings are text: Fastify's validator coerces them to numbers.
      page: z.number().int().min(1).default(1).meta({ description: 'Page number, from 1.', examples: [1] }),
      per_page: z.number().int().min(1).max(100).default(20).meta({ description: 'Jobs per page (1 to 100).', examples: [20] }),
    }),
    'input',
  ),
  response: {
    200: response(
      'One page of failed and canceled jobs',
      jsonSchema(
        z.object({
          page: z.number(),
          per_page: z.number(),
          total: z.number().meta({ description: 'Failed and canceled jobs in all pages.' }),
          jobs: z.array(statusViewSchema),
        }),
      ),
      { page: 1, per_page: 20, total: 2, jobs: [STATUS_EXAMPLES.failed, STATUS_EXAMPLES.canceled] },
    ),
    400: errorResponse('A query parameter is out of range', [
      'invalid_request',
      'Invalid request: querystring/per_page must be <= 100',
    ]),
  },
};

export const RESULT_SCHEMA = {
  summary: 'The result: the cut-out subject as the job\'s options asked',
  description:
    'By default the subject on a transparent background, as a PNG at the size of the upload (after EXIF rotation); ' +
    'the job\'s options choose the format (PNG, WebP, JPEG), size, crop, canvas and background. ' +
    'Answers 404 with a JSON reason until the job is done, and for failed, canceled or unknown jobs. ' +
    'After a saved mask edit (PUT /jobs/{job_id}/mask) it serves the new version, with a new ETag.',
  operationId: 'getResult',
  tags: ['jobs'],
  params: ROUTE_SCHEMAS.jobParams,
  produces: ['image/png', 'image/webp', 'image/jpeg'],
  response: {
    200: {
      type: 'string',
      format: 'binary',
      description: 'The result file: PNG, WebP or JPEG (see Content-Type and the job\'s `result.format`)',
      headers: {
        'Content-Disposition': {
          type: 'string',
          description: 'inline, with a download name made from the upload\'s and the format\'s extension: `sneaker-cutout.png`.',
        },
        ETag: { type: 'string', description: 'Changes with each version of the result (`result_version`: a saved mask edit makes a new one). Send it back in If-None-Match: 304 while it is current.' },
        'Cache-Control': { type: 'string', description: '`private, no-cache`: a kept copy is checked (If-None-Match) before it is used again.' },
        'X-Width': { type: 'integer', description: 'The result\'s width in pixels.' },
        'X-Height': { type: 'integer', description: 'The result\'s height in pixels.' },
        'X-Foreground-Left': { type: 'integer', description: 'The subject\'s bounding box in the result: left edge (px).' },
        'X-Foreground-Top': { type: 'integer', description: 'The subject\'s bounding box: top edge (px).' },
        'X-Foreground-Width': { type: 'integer', description: 'The subject\'s bounding box: width (px).' },
        'X-Foreground-Height': { type: 'integer', description: 'The subject\'s bounding box: height (px).' },
        'X-Confidence': { type: 'number', description: 'How clean the mask looks, 0..1 (experimental; see the status\'s result.confidence).' },
      },
    },
    304: { description: 'Not modified: the If-None-Match ETag names the current version.', headers: { ETag: { type: 'string' } } },
    302: {
      description:
        'With `RESULT_DELIVERY=redirect`: the result is served from object storage. `Location` is a presigned GET URL, ' +
        'valid for `RESULT_URL_TTL_SECONDS` (5 minutes by default); ask this endpoint again for a new one.',
      headers: {
        Location: { type: 'string', format: 'uri', description: 'The presigned URL of the result file.' },
        'X-Width': { type: 'integer', description: 'The result\'s width in pixels.' },
        'X-Height': { type: 'integer', description: 'The result\'s height in pixels.' },
      },
    },
    404: errorResponse(
      'No result (yet): the job is not done, failed, was canceled, or does not exist',
      ['result_not_ready', 'The result is not ready yet: the job is processing. Try again when its status is done.'],
      ['job_failed', 'The job failed, so there is no result: The image could not be decoded: the file is damaged or not a real image.'],
      ['job_canceled', 'The job was canceled, so there is no result.'],
      unknownJob(EXAMPLE.jobId),
      ['result_expired', 'The result has expired and was deleted. Please upload the image again.'],
    ),
    410: JOB_ERRORS[410],
  },
};

export const CANCEL_SCHEMA = {
  summary: 'Cancel a job',
  description:
    'A queued job is removed at once (200, status canceled) and its files deleted. A job being processed stops at ' +
    'its next stage boundary (202, status processing; it then becomes canceled). A finished job answers 409.',
  operationId: 'cancelJob',
  tags: ['jobs'],
  params: ROUTE_SCHEMAS.jobParams,
  response: {
    200: response('Canceled: the job was queued, it is removed and its files deleted', ROUTE_SCHEMAS.status, statusExamples('canceled')),
    202: response('Canceling: the job is being processed and stops at its next stage boundary', ROUTE_SCHEMAS.status, statusExamples('processing')),
    404: JOB_ERRORS[404],
    409: errorResponse('The job already finished', ['job_finished', 'The job is already done; there is nothing to cancel.']),
  },
};
