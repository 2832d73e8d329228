// What POST /remove-bg and GET /limits accept and answer, with their OpenAPI texts and examples.
import type { Config } from '../../config.js';
import { formatBytes } from '../../format.js';
import { INPUT_FORMATS, INPUT_FORMATS_TEXT, UNSUPPORTED_IMAGE_TEXT } from '../../vocabulary.js';
import { fastifyErrorCase, tooManyUploads } from '../errors.js';
import { EXAMPLE, EXAMPLE_LINKS, HEADERS, ROUTE_SCHEMAS, errorResponse, response } from '../schemas.js';
import { duplicateOption, queueUnavailable, unknownField } from '../services/upload.js';
import { OPTIONS, parseOptions, type OptionEntry } from '../../options/options.js';
import { InvalidOptionError } from '../../errors.js';

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
  summary: 'Upload an image; its background is removed asynchronously',
  description:
    `Send the image as multipart/form-data in a field named \`file\` (${INPUT_FORMATS_TEXT}; the format is ` +
    `recognised from the bytes). At most ${formatBytes(config.MAX_UPLOAD_BYTES)} and ${config.MAX_IMAGE_PIXELS / 1e6} megapixels. ` +
    'Options (format, size, crop, canvas, background, …) go in form fields or query parameters of the same names; ' +
    'the job remembers them (`options` in its status). ' +
    'Answers 202 with the job id; follow `Location` (the status URL) or the events URL. The same photo with the same ' +
    'options as an earlier job still kept answers 200, done at once (no processing); with other options, the earlier ' +
    'mask is reused and only the options are applied.',
  operationId: 'removeBackground',
  tags: ['jobs'],
  consumes: ['multipart/form-data'],
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(TEXT_OPTIONS.map((o) => [o.name, optionProperty(o)])),
  },
  body: {
    type: 'object',
    required: ['file'],
    additionalProperties: false,
    properties: {
      file: { type: 'string', format: 'binary', description: 'The image. Its file name is kept for the download name.' },
      ...Object.fromEntries(OPTIONS.map((o) => [o.name, optionProperty(o as unknown as OptionEntry<null>)])),
    },
  },
  response: {
    200: response(
      'Done at once: the same photo with the same options was done before (and is still kept); the result is ready',
      ROUTE_SCHEMAS.accepted,
      { job_id: EXAMPLE.jobId, status: 'done', status_url: EXAMPLE_LINKS.status, events_url: EXAMPLE_LINKS.events, result_url: EXAMPLE_LINKS.result, cached: true },
      { Location: HEADERS.location },
    ),
    202: response(
      'Accepted: the job is queued',
      ROUTE_SCHEMAS.accepted,
      { job_id: EXAMPLE.jobId, status: 'queued', status_url: EXAMPLE_LINKS.status, events_url: EXAMPLE_LINKS.events },
      { Location: HEADERS.location },
    ),
    400: errorResponse(
      'The form is not usable (no file, the wrong field name, an unknown field, an empty file, several files), or an option has a value that is not allowed',
      ['file_missing', 'No file was uploaded. Send the image in a multipart field named "file".'],
      ['empty_file', 'The file is empty.'],
      unknownField('colour'),
      duplicateOption('format'),
      ...optionErrorExamples(),
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
});
