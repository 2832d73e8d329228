// What POST /remove-bg and GET /limits accept and answer, with their OpenAPI texts and examples.
import type { Config } from '../../config.js';
import { formatBytes } from '../../format.js';
import { INPUT_FORMATS, INPUT_FORMATS_TEXT, UNSUPPORTED_IMAGE_TEXT } from '../../vocabulary.js';
import { fastifyErrorCase, tooManyUploads } from '../errors.js';
import { EXAMPLE, EXAMPLE_LINKS, HEADERS, ROUTE_SCHEMAS, errorResponse, response } from '../schemas.js';
import { failedImageDownload, invalidImageUrl } from '../services/image-url.js';
import { duplicateOption, queueUnavailable, unknownField } from '../services/upload.js';
import { JSON_BODY_LIMIT, missingSource, multipleSources } from './remove-bg.body.js';
import { OPTIONS, parseOptions, type OptionEntry } from '../../options/options.js';
import { InvalidOptionError } from '../../errors.js';
import { invalidCallbackUrl, webhooksNotConfigured } from '../services/callback-url.js';
import { IDEMPOTENCY_REQUEST_HEADERS, INVALID_KEY_CASE, KEY_REUSED_CASE, REPLAY_HEADERS, keyInFlightResponse } from './idempotency.schema.js';

/** An option as an OpenAPI property: its description, example, allowed words and error code. */
export function optionProperty(o: OptionEntry<null>): Record<string, unknown> {
  const entry = o as unknown as OptionEntry<string | number | boolean | null>;
  const def = entry.default === null ? 'none' : entry.text(entry.default);
  return {
    type: 'string',
    ...(entry.file ? { format: 'binary' } : {}),
    description: `${entry.description} Default: \`${def}\`. A bad value answers 400 \`invalid_${entry.name}\`.`,
    ...(entry.file ? {} : { examples: [entry.example] }),
    ...(entry.values ? { enum: [...entry.values] } : {}),
  };
}

export const TEXT_OPTIONS = OPTIONS.filter((o) => !(o as unknown as OptionEntry<null>).file) as unknown as OptionEntry<null>[];

/** One named example per option error, with the sentence the api really answers. */
export function optionErrorExamples(): [string, string][] {
  const bad: Record<string, Record<string, string>> = {
    format: { format: 'gif' },
    size: { size: 'huge' },
    max_width: { max_width: '-5' },
    max_height: { max_height: 'tall' },
    crop: { crop: 'maybe' },
    crop_margin: { crop_margin: '-5px' },
    canvas: { canvas: '99999x99999' },
    position: { position: 'left' },
    scale: { scale: '300%' },
    bg_color: { bg_color: 'javascript:' },
    bg_image: { bg_image: 'x' },
    bg_blur: { bg_blur: '500' },
    shadow: { shadow: 'hard' },
    channels: { channels: 'cmyk' },
    multiple_bg_sources: { bg_color: 'white', bg_blur: '20' },
    unknown_option: { colour: 'red' },
  };
  const out: [string, string][] = [];
  for (const given of Object.values(bad)) {
    try {
      parseOptions(given);
    } catch (err) {
      if (err instanceof InvalidOptionError) out.push([err.code, err.message]);
    }
  }
  out.push(['invalid_bg_image', 'The background image (bg_image) cannot be used: This file is not a supported image. Upload a JPEG, PNG, WebP, GIF, AVIF or TIFF file.']);
  return out;
}

const IMAGE_URL = {
  type: 'string',
  format: 'uri',
  description:
    'Instead of `file`: the http or https address of the image. Refused (400 `invalid_image_url`): other schemes, a user:password, ' +
    'and addresses that are not public (loopback, private, link-local and cloud metadata, carrier-grade NAT, multicast, reserved, ' +
    'in any spelling), also when a redirect or a DNS answer leads there. A download that fails answers 422 `failed_image_download`.',
  examples: ['https://images.example.com/shoes/red-sneaker.jpg'],
};

/** Options as query parameters (the same names as the form fields), for every route that creates jobs. */
export const OPTIONS_QUERYSTRING = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(TEXT_OPTIONS.map((o) => [o.name, optionProperty(o)])),
};

export const CALLBACK_URL = {
  type: 'string',
  format: 'uri',
  description:
    'Where the final status is POSTed when the job ends (done, failed or canceled): a webhook signed per Standard Webhooks ' +
    '(`webhook-id`, `webhook-timestamp`, `webhook-signature`, keyed with WEBHOOK_SECRET), retried with backoff until the receiver ' +
    'answers 2xx. The same address rules as `image_url` (400 `invalid_callback_url`); refused with 400 `webhooks_not_configured` ' +
    'when the server has no WEBHOOK_SECRET. The status shows the delivery in `callback`.',
  examples: ['https://hooks.agency.example/cutout'],
};

type Limits = Pick<Config, 'MAX_UPLOAD_BYTES' | 'MAX_IMAGE_PIXELS'>;

/** The body of GET /limits. */
export const limitsBody = (config: Limits) => ({
  max_upload_bytes: config.MAX_UPLOAD_BYTES,
  max_image_pixels: config.MAX_IMAGE_PIXELS,
  formats: [...INPUT_FORMATS],
});

export const limitsSchema = (config: Limits) => ({
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
      limitsBody(config),
    ),
  },
});

export const uploadSchema = (config: Limits) => ({
  summary: 'Upload an image, or give its URL; its background is removed asynchronously',
  description:
    `Send the image as multipart/form-data in a field named \`file\` (${INPUT_FORMATS_TEXT}; the format is ` +
    `recognised from the bytes). At most ${formatBytes(config.MAX_UPLOAD_BYTES)} and ${config.MAX_IMAGE_PIXELS / 1e6} megapixels. ` +
    'Or, instead of a file, give the address of the image in `image_url` (a form field, or a JSON body ' +
    '`{"image_url": "https://…", "format": "webp", …}` with the options by the same names; numbers and booleans are taken as their text): ' +
    'the service downloads it (http or https; public addresses only, at most 5 redirects, the same size limit, ' +
    `${'URL_FETCH_TIMEOUT_SECONDS'} for the whole download) and checks it like an upload. Exactly one source per request. ` +
    'Options (format, size, crop, canvas, background, …) go in form fields or query parameters of the same names; ' +
    'the job remembers them (`options` in its status). ' +
    'Answers 202 with the job id; follow `Location` (the status URL) or the events URL. The same photo with the same ' +
    'options as an earlier job still kept answers 200, done at once (no processing); with other options, the earlier ' +
    'mask is reused and only the options are applied.',
  operationId: 'removeBackground',
  tags: ['jobs'],
  headers: IDEMPOTENCY_REQUEST_HEADERS,
  querystring: OPTIONS_QUERYSTRING,
  body: {
    content: {
      'multipart/form-data': {
        schema: {
          type: 'object',
          additionalProperties: false,
          description: 'Exactly one of `file` and `image_url`.',
          properties: {
            file: { type: 'string', format: 'binary', description: 'The image. Its file name is kept for the download name.' },
            image_url: IMAGE_URL,
            callback_url: CALLBACK_URL,
            ...Object.fromEntries(OPTIONS.map((o) => [o.name, optionProperty(o as unknown as OptionEntry<null>)])),
          },
        },
      },
      'application/json': {
        schema: {
          type: 'object',
          required: ['image_url'],
          additionalProperties: false,
          description: `The image by its address, with options by their form names (at most ${formatBytes(JSON_BODY_LIMIT)}).`,
          properties: { image_url: IMAGE_URL, callback_url: CALLBACK_URL, ...Object.fromEntries(TEXT_OPTIONS.map((o) => [o.name, optionProperty(o)])) },
          examples: [{ image_url: 'https://images.example.com/shoes/red-sneaker.jpg', format: 'webp', crop: 'true' }],
        },
      },
    },
  },
  response: {
    200: response(
      'Done at once: the same photo with the same options was done before (and is still kept); the result is ready',
      ROUTE_SCHEMAS.accepted,
      { job_id: EXAMPLE.jobId, status: 'done', status_url: EXAMPLE_LINKS.status, events_url: EXAMPLE_LINKS.events, result_url: EXAMPLE_LINKS.result, cached: true },
      REPLAY_HEADERS,
    ),
    202: response(
      'Accepted: the job is queued',
      ROUTE_SCHEMAS.accepted,
      { job_id: EXAMPLE.jobId, status: 'queued', status_url: EXAMPLE_LINKS.status, events_url: EXAMPLE_LINKS.events },
      REPLAY_HEADERS,
    ),
    400: errorResponse(
      'The form or JSON body is not usable (no image or two, the wrong field name, an unknown field, an empty file, several files, ' +
        'a URL that is malformed or leads to an address that is not allowed), or an option has a value that is not allowed',
      missingSource(),
      multipleSources(),
      ['file_missing', 'The image must be in a field named "file" (got "image").'],
      invalidImageUrl('169.254.169.254 is the cloud metadata address (169.254.169.254, link-local)'),
      ['malformed_body', 'The JSON body must be an object, such as {"image_url": "https://example.com/photo.jpg"}.'],
      ['empty_file', 'The file is empty.'],
      unknownField('colour'),
      duplicateOption('format'),
      ...optionErrorExamples(),
      INVALID_KEY_CASE,
      invalidCallbackUrl('10.0.0.8 is a private address (10.0.0.0/8)'),
      webhooksNotConfigured(),
      fastifyErrorCase('FST_FILES_LIMIT', config.MAX_UPLOAD_BYTES),
      fastifyErrorCase('FST_PROTO_VIOLATION', config.MAX_UPLOAD_BYTES),
    ),
    413: errorResponse(
      'The file, the image or the form is too large',
      fastifyErrorCase('FST_REQ_FILE_TOO_LARGE', config.MAX_UPLOAD_BYTES),
      fastifyErrorCase('FST_FIELDS_LIMIT', config.MAX_UPLOAD_BYTES),
      fastifyErrorCase('FST_PARTS_LIMIT', config.MAX_UPLOAD_BYTES),
      ['image_too_large', `The image is 12000x9000 (108.0 megapixels); the limit is ${(config.MAX_IMAGE_PIXELS / 1e6).toFixed(1)} megapixels. Please resize it and try again.`],
    ),
    415: errorResponse(
      'Not an image this service reads, or not a multipart upload',
      ['unsupported_media_type', UNSUPPORTED_IMAGE_TEXT],
      fastifyErrorCase('FST_INVALID_MULTIPART_CONTENT_TYPE', config.MAX_UPLOAD_BYTES),
    ),
    422: errorResponse(
      'An image format this service reads, but the file is damaged or incomplete; or the image_url could not be downloaded ' +
        '(an error status, the time limit, the size limit, not an image); or an Idempotency-Key reused for another request',
      failedImageDownload('the server answered 404 Not Found'),
      ['truncated_image', 'The JPEG file is incomplete (it looks truncated). Please upload the whole file.'],
      ['invalid_image', 'The PNG file is damaged and cannot be read.'],
      KEY_REUSED_CASE,
    ),
    409: keyInFlightResponse(),
    429: {
      ...errorResponse('Too many uploads from this client (RATE_LIMIT_PER_MINUTE)', ['rate_limited', tooManyUploads(30, 42)]),
      headers: { 'Retry-After': HEADERS.retryAfter },
    },
    503: errorResponse('The queue (Redis) is unreachable; nothing was stored', queueUnavailable()),
  },
});
