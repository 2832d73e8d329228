// What the batch routes accept and answer, with their OpenAPI texts and examples.
import type { Config } from '../../config.js';
import { formatBytes } from '../../format.js';
import {
  batchAcceptedSchema, batchCanceledSchema, batchStatusSchema, type BatchAccepted, type BatchStatus,
} from '../../jobs/batch-contract.js';
import { OPTIONS, type OptionEntry } from '../../options/options.js';
import { UNSUPPORTED_IMAGE_TEXT } from '../../vocabulary.js';
import { fastifyErrorCase, tooManyUploads } from '../errors.js';
import { EXAMPLE, HEADERS, errorResponse, jsonSchema, response } from '../schemas.js';
import { unknownBatch } from '../services/batches.js';
import { noFiles } from '../services/batch-form.js';
import { duplicateOption, queueUnavailable, unknownField } from '../services/upload.js';
import { batchTooLarge, MAX_ZIP_RATIO, tooManyItems } from '../services/zip-input.js';
import { CALLBACK_URL, OPTIONS_QUERYSTRING, optionErrorExamples, optionProperty, TEXT_OPTIONS } from './remove-bg.schema.js';
import { IDEMPOTENCY_REQUEST_HEADERS, INVALID_KEY_CASE, KEY_REUSED_CASE, REPLAY_HEADERS, keyInFlightResponse } from './idempotency.schema.js';
import { invalidCallbackUrl, webhooksNotConfigured } from '../services/callback-url.js';
import { BATCH_JSON_LIMIT } from '../services/batch-json.js';

type Limits = Pick<Config, 'MAX_UPLOAD_BYTES' | 'MAX_BATCH_ITEMS' | 'MAX_BATCH_BYTES'>;

const BATCH_ID = '8d7e4c4b-1f7a-4c55-9a1e-0b6f2d3c4e5f';
const JOB_2 = '5b2f0a9e-7c1d-4e3f-8a6b-9d0c1e2f3a4b';
const base = `/batches/${BATCH_ID}`;

export const batchParams = {
  type: 'object',
  required: ['batch_id'],
  properties: {
    batch_id: { type: 'string', description: 'The batch id returned by POST /batches (a UUID). Anything else answers 404.', examples: [BATCH_ID] },
  },
};

const ACCEPTED_EXAMPLE: BatchAccepted = {
  batch_id: BATCH_ID,
  items: [
    { job_id: EXAMPLE.jobId, filename: 'sneaker.jpg' },
    { job_id: JOB_2, filename: 'boot.png' },
    { filename: 'notes.txt', error: { code: 'unsupported_media_type', message: UNSUPPORTED_IMAGE_TEXT } },
  ],
  status_url: base,
  events_url: `${base}/events`,
  zip_url: `${base}/zip`,
};

const STATUS_EXAMPLE: BatchStatus = {
  batch_id: BATCH_ID,
  status: 'processing',
  created_at: '2026-11-23T10:15:02.118Z',
  counts: { queued: 0, processing: 1, done: 1, failed: 0, canceled: 0, rejected: 1 },
  progress: 52,
  items: [
    {
      job_id: EXAMPLE.jobId, filename: 'sneaker.jpg', status: 'done', result_url: `/result/${EXAMPLE.jobId}`,
      result: { width: 2400, height: 1600, format: 'png', bytes: 1190233, foreground: { left: 63, top: 46, width: 1254, height: 920 } },
    },
    { job_id: JOB_2, filename: 'boot.png', status: 'processing', progress: { stage: 'inference', percent: 5 } },
    { filename: 'notes.txt', status: 'rejected', error: UNSUPPORTED_IMAGE_TEXT, error_code: 'unsupported_media_type' },
  ],
  events_url: `${base}/events`,
  zip_url: `${base}/zip`,
};

const NOT_FOUND = errorResponse('No batch has this id (never existed, or expired)', unknownBatch(BATCH_ID));

const BATCH_CALLBACK_URL = {
  ...CALLBACK_URL,
  description:
    'Where the batch\'s status (as GET /batches/{id} shows it) is POSTed once every item has ended: a signed webhook (Standard Webhooks), ' +
    'as for `callback_url` on POST /remove-bg.',
};

export const createBatchSchema = (config: Limits) => ({
  summary: 'Upload many images (files or a ZIP archive); each becomes a job, with the same options',
  description:
    `Send the images as multipart/form-data, each in a field named \`file\`; a \`file\` whose bytes are a ZIP archive is ` +
    `expanded into its images (folders are flattened, \`__MACOSX/\` and dotfiles skipped, repeated names made unique). ` +
    `At most ${config.MAX_BATCH_ITEMS} files (MAX_BATCH_ITEMS), ${formatBytes(config.MAX_UPLOAD_BYTES)} per image, and ` +
    `${formatBytes(config.MAX_BATCH_BYTES)} (MAX_BATCH_BYTES) for the request and again for all files once archives are expanded. ` +
    `An archive is checked from its list of files before anything is expanded: too many files (400 \`too_many_items\`), ` +
    `too many bytes (413 \`batch_too_large\`), an entry that would expand more than ${MAX_ZIP_RATIO} times or holds more ` +
    'than it declares (400 `suspicious_archive`) refuse the whole batch. A file that cannot be processed (not an image, ' +
    'an archive in the archive, a symbolic link, an encrypted or oversized entry) is listed with its `error` and no job; ' +
    'the others go on. Options apply to every image, as for POST /remove-bg. Answers 202; each item with a `job_id` is an ' +
    'ordinary job (/status, /result, /events, DELETE /jobs). ' +
    'Or send a JSON body `{"image_urls": [...], ...options}`: each address is downloaded like `image_url` on POST /remove-bg ' +
    '(public http or https addresses only, the same size and time limits), a few at a time, before the answer; an address ' +
    'that cannot be used is an item with its `error`; the downloads together are held to MAX_BATCH_BYTES (past it, 413 ' +
    '`batch_too_large`). With `callback_url`, the batch\'s status (as GET /batches/{id} shows it) ' +
    'is POSTed there, signed, once every item has ended.',
  operationId: 'createBatch',
  tags: ['batches'],
  headers: IDEMPOTENCY_REQUEST_HEADERS,
  querystring: OPTIONS_QUERYSTRING,
  body: {
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          required: ['file'],
          additionalProperties: false,
          properties: {
            file: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'The images, one per `file` field, or ZIP archives of images.' },
            callback_url: BATCH_CALLBACK_URL,
            ...Object.fromEntries(OPTIONS.map((o) => [o.name, optionProperty(o as unknown as OptionEntry<null>)])),
          },
        },
      },
      'application/json': {
        schema: {
          type: 'object',
          required: ['image_urls'],
          additionalProperties: false,
          description: `Images by their addresses, with options by their form names (at most ${formatBytes(BATCH_JSON_LIMIT)}).`,
          properties: {
            image_urls: {
              type: 'array',
              minItems: 1,
              maxItems: config.MAX_BATCH_ITEMS,
              items: { type: 'string', format: 'uri' },
              description: 'The http or https addresses of the images (MAX_BATCH_ITEMS at most).',
              examples: [['https://images.example.com/shoes/red-sneaker.jpg', 'https://images.example.com/shoes/blue-sneaker.jpg']],
            },
            callback_url: BATCH_CALLBACK_URL,
            ...Object.fromEntries(TEXT_OPTIONS.map((o) => [o.name, optionProperty(o)])),
          },
          examples: [{ image_urls: ['https://images.example.com/shoes/red-sneaker.jpg'], format: 'webp', callback_url: 'https://hooks.agency.example/cutout' }],
        },
      },
    },
  },
  response: {
    202: response('Accepted: every usable file is a queued job', jsonSchema(batchAcceptedSchema), ACCEPTED_EXAMPLE, {
      ...REPLAY_HEADERS,
      Location: { type: 'string', description: 'The status URL of the batch.' },
    }),
    400: errorResponse(
      'No usable file, too many files, a hostile archive, or an option that is not allowed',
      noFiles(),
      ['no_usable_items', `None of the 2 files of the batch can be processed. notes.txt: ${UNSUPPORTED_IMAGE_TEXT} inner.zip: This is an archive inside the archive; archives are not opened recursively. Add its images directly.`],
      tooManyItems(config.MAX_BATCH_ITEMS),
      ['suspicious_archive', `The archive was refused before it was expanded: "big.png" would expand 1030 times (at most ${MAX_ZIP_RATIO} is accepted), which is what a zip bomb does. Send a plain ZIP of images.`],
      unknownField('colour'),
      duplicateOption('format'),
      ['malformed_form', 'The form data is malformed (its boundary is missing or it ends early). Send a complete multipart/form-data body.'],
      ['malformed_body', 'The JSON body must be an object such as {"image_urls": ["https://example.com/a.jpg", "https://example.com/b.jpg"], "format": "webp"}.'],
      ['missing_source', 'No image was given: send "image_urls", a list of image addresses (or a multipart form with files).'],
      invalidCallbackUrl('10.0.0.8 is a private address (10.0.0.0/8)'),
      webhooksNotConfigured(),
      INVALID_KEY_CASE,
      ...optionErrorExamples(),
    ),
    409: keyInFlightResponse(),
    422: errorResponse('The Idempotency-Key was used for a different request', KEY_REUSED_CASE),
    413: errorResponse(
      'The batch, or its background image, is too large',
      batchTooLarge(config.MAX_BATCH_BYTES),
      ['file_too_large', `The background image (bg_image) is larger than the ${formatBytes(config.MAX_UPLOAD_BYTES)} limit.`],
    ),
    415: errorResponse('Neither a multipart upload nor a JSON body', fastifyErrorCase('FST_INVALID_MULTIPART_CONTENT_TYPE', config.MAX_UPLOAD_BYTES)),
    429: {
      ...errorResponse('Too many uploads from this client (RATE_LIMIT_PER_MINUTE; a batch counts as one)', ['rate_limited', tooManyUploads(30, 42)]),
      headers: { 'Retry-After': HEADERS.retryAfter },
    },
    503: errorResponse('The queue (Redis) is unreachable; no job of the batch is left behind', queueUnavailable()),
  },
});

export const BATCH_STATUS_SCHEMA = {
  summary: 'The state of a batch and of each of its items',
  description:
    '`status` is `queued` until an item starts, `processing`, then `done` once every item is done, failed or canceled. ' +
    '`counts` has items per status (`rejected`: files that never became jobs), `progress` is a percent over the jobs. ' +
    'Each item has its job\'s status, error, progress and result (size, format, foreground box, result_url).',
  operationId: 'getBatch',
  tags: ['batches'],
  params: batchParams,
  response: {
    200: response('The batch and its items', jsonSchema(batchStatusSchema), STATUS_EXAMPLE),
    404: NOT_FOUND,
  },
};

const BATCH_SSE_EXAMPLE =
  'retry: 2000\n\n' +
  `id: 1\nevent: queued\ndata: {"job_id":"${EXAMPLE.jobId}","status":"queued","position":1,"filename":"sneaker.jpg"}\n\n` +
  `id: 2\nevent: progress\ndata: {"job_id":"${EXAMPLE.jobId}","status":"processing","stage":"inference","percent":5,"filename":"sneaker.jpg"}\n\n` +
  `id: 3\nevent: done\ndata: {"job_id":"${EXAMPLE.jobId}","status":"done","result_url":"/result/${EXAMPLE.jobId}","filename":"sneaker.jpg"}\n\n` +
  `id: final\nevent: done\ndata: {"batch_id":"${BATCH_ID}","status":"done","counts":{"queued":0,"processing":0,"done":1,"failed":0,"canceled":0,"rejected":0},"progress":100}\n\n`;

export const BATCH_EVENTS_SCHEMA = {
  summary: 'Live progress of every item of a batch (Server-Sent Events, or a WebSocket)',
  description:
    'The events of each item\'s job, as GET /events/{job_id} sends them (the same types and data, plus the item\'s ' +
    '`filename`): first each item\'s current state, then each change. When every item is terminal, one last event ' +
    'with the id `final`, type `done`, and data `{batch_id, status: "done", counts, progress: 100}` (no `job_id`: that is ' +
    'how it differs from an item\'s `done`); then the stream ends. Reconnecting with `Last-Event-ID: final` to a finished ' +
    'batch answers 204. The same URL upgrades to a WebSocket carrying the same events, one JSON message each.',
  operationId: 'streamBatchEvents',
  tags: ['batches'],
  params: batchParams,
  produces: ['text/event-stream'],
  response: {
    101: { type: 'null', description: 'Switching Protocols: the WebSocket form, asked for with `Upgrade: websocket`' },
    200: response('The event stream: each item\'s events, then the batch\'s end', { type: 'string' }, BATCH_SSE_EXAMPLE),
    204: { type: 'null', description: 'The client already received the final event of a finished batch' },
    404: NOT_FOUND,
  },
};

export const BATCH_ZIP_SCHEMA = {
  summary: 'The finished results so far, as one ZIP archive (streamed)',
  description:
    'A ZIP (application/zip, `Content-Disposition: attachment; filename="batch-<id>.zip"`) of every result done so ' +
    'far, each named after its file with the result\'s extension (`sneaker.jpg` → `sneaker-cutout.png`, names made ' +
    'unique), and a `manifest.csv` last: one row per item with filename, result_filename, job_id, status, error_code, ' +
    'error, width, height, bytes and the foreground box (left, top, width, height). Text a spreadsheet would run as a ' +
    'formula starts with `\'`. The archive is streamed as it is written; ask again later for results finished meanwhile.',
  operationId: 'getBatchZip',
  tags: ['batches'],
  params: batchParams,
  produces: ['application/zip'],
  response: {
    200: {
      type: 'string',
      format: 'binary',
      description: 'The ZIP archive',
      examples: ['PK… (the archive\'s bytes)'],
      headers: { 'Content-Disposition': { type: 'string', description: `attachment; filename="batch-${BATCH_ID}.zip"` } },
    },
    404: NOT_FOUND,
  },
};

export const CANCEL_BATCH_SCHEMA = {
  summary: 'Cancel what is left of a batch',
  description:
    'Every item still queued is removed (its files deleted); every item being processed stops at its next stage ' +
    'boundary; finished items are left as they are. Answers how many of each.',
  operationId: 'cancelBatch',
  tags: ['batches'],
  params: batchParams,
  response: {
    200: response('What the cancel did', jsonSchema(batchCanceledSchema), { batch_id: BATCH_ID, canceled: 12, canceling: 1, finished: 37 }),
    404: NOT_FOUND,
  },
};
