// How POST /v1.0/removebg and GET /v1.0/account are documented in Cutout's own OpenAPI document
// (tag "remove.bg compatible"): remove.bg's parameters, what each becomes here, and the answers in
// remove.bg's shapes, with examples that are the texts this server really sends.
import { HEADERS } from '../../schemas.js';
import { IDEMPOTENCY_REQUEST_HEADERS, REPLAY_HEADERS } from '../../routes/idempotency.schema.js';
import { REMOVEBG_TAG, SYNC_TIMEOUT_CASE } from '../docs.js';
import { unknownParameter } from './params.js';
import { missingSource, multipleBgSources, multipleSources } from './request.js';
import { ACCOUNT_EXAMPLE } from './account.js';

type Schema = Record<string, unknown>;

const text = (description: string, example: string, values?: string[]): Schema => ({ type: 'string', description, examples: [example], ...(values ? { enum: values } : {}) });

export const PARAMETERS: Record<string, Schema> = {
  image_file: { type: 'string', format: 'binary', description: 'The image (multipart only). Exactly one of image_file, image_file_b64, image_url.' },
  image_file_b64: text('The image as base64 text (a data: URL prefix is allowed).', 'iVBORw0KGgo…'),
  image_url: text('The address of the image, downloaded as `image_url` of POST /remove-bg is (public http/https only).', 'https://images.example.com/shoes/red-sneaker.jpg'),
  size: text('`preview` (default; also `small`, `regular`): 0.25 MP; `medium`: 1.5 MP; `hd`: 4 MP; `full` (also `4k`) and `auto`: the photo\'s own size. Cutout `size`.', 'auto', ['preview', 'small', 'regular', 'medium', 'hd', 'full', '4k', 'auto']),
  format: text('`auto` (default), `png`, `jpg`: Cutout `format`; `zip`: a ZIP of color.jpg and alpha.png, made from a PNG.', 'png', ['auto', 'png', 'jpg', 'zip']),
  crop: text('`true`: crop to the subject (Cutout `crop=true`).', 'true', ['true', 'false']),
  crop_margin: text('Space around the cropped subject, like `30px`, `10%` or `5% 10%` (Cutout `crop_margin`).', '10%'),
  scale: text('`10%`–`100%` or `original` (Cutout `scale`); a scale implies `position=center` unless given.', '80%'),
  position: text('`original`, `center` or one or two percents (Cutout `position`; it applies with `scale`).', 'center'),
  roi: text('Region of interest `x1 y1 x2 y2`: only the whole image (`0% 0% 100% 100%`) is supported; another region answers 400 `invalid_roi`.', '0% 0% 100% 100%'),
  channels: text('`rgba` (default) or `alpha` (the mask): Cutout `channels`.', 'rgba', ['rgba', 'alpha']),
  bg_color: text('A background colour: hex (`81d4fa`, `fff`, `81d4fa77`) or a colour name (Cutout `bg_color`).', '81d4fa'),
  bg_image_url: text('A background image by address (downloaded like image_url; Cutout `bg_image`).', 'https://images.example.com/backgrounds/studio.jpg'),
  bg_image_file: { type: 'string', format: 'binary', description: 'A background image file (multipart only; Cutout `bg_image`).' },
  add_shadow: text('`true`: Cutout\'s soft contact shadow (`shadow=soft`), for every kind of subject.', 'false', ['true', 'false']),
  type: text('Accepted; no effect (listed in X-Cutout-Ignored unless `auto`): one model serves every subject.', 'auto', ['auto', 'person', 'product', 'car']),
  type_level: text('Accepted; X-Type is never sent (Cutout does not classify the subject).', 'none', ['none', '1', '2', 'latest']),
  semitransparency: text('Accepted; masks keep their soft, semi-transparent edges either way.', 'true', ['true', 'false']),
  shadow_method: text('Accepted; no effect.', 'latest', ['latest', 'legacy']),
};

const without = (names: string[]) => Object.fromEntries(Object.entries(PARAMETERS).filter(([n]) => !names.includes(n)));
const FOREGROUND = ['foreground_top', 'foreground_left', 'foreground_width', 'foreground_height'];

const IMAGE_HEADERS: Schema = {
  'X-Width': { type: 'integer', description: 'Width of the result image.' },
  'X-Height': { type: 'integer', description: 'Height of the result image.' },
  'X-Foreground-Top': { type: 'integer', description: 'The subject\'s box in the result: top.' },
  'X-Foreground-Left': { type: 'integer', description: 'The subject\'s box: left.' },
  'X-Foreground-Width': { type: 'integer', description: 'The subject\'s box: width.' },
  'X-Foreground-Height': { type: 'integer', description: 'The subject\'s box: height.' },
  'X-Credits-Charged': { type: 'number', description: 'Always 0: nothing is charged here.' },
  'X-Job-Id': { type: 'string', description: 'The Cutout job that made the image (GET /status/{job_id}).' },
  'Idempotent-Replayed': { ...REPLAY_HEADERS['Idempotent-Replayed'], description: 'Present when an earlier request with the same Idempotency-Key made this job: the image is its result, and no second job was made.' },
};

/** remove.bg's error body, with one named example per code. */
export function removeBgErrors(description: string, ...cases: { code: string; message: string; title?: string }[]): Schema {
  const named = Object.fromEntries(
    cases.map((c) => [c.code, { summary: c.code, value: { errors: [{ title: c.title ?? c.message, code: c.code, detail: c.message }] } }]),
  );
  const item = { type: 'object', required: ['title', 'code'], properties: { title: { type: 'string' }, code: { type: 'string' }, detail: { type: 'string' } } };
  return { type: 'object', required: ['errors'], properties: { errors: { type: 'array', items: item } }, description, 'x-examples': named };
}

const c = (code: string, message: string) => ({ code, message });
const ERRORS_400 = [
  missingSource(), multipleSources(), multipleBgSources(), unknownParameter('image_filename'),
  c('file_too_large', 'The file is larger than the 25 MB limit. Please upload a smaller image.'),
  c('invalid_file_type', 'This file is not a supported image. Upload a JPEG, PNG, WebP, GIF, AVIF or TIFF file.'),
  c('resolution_too_high', 'The image is 12000x9000 (108.0 megapixels); the limit is 50.0 megapixels. Please resize it and try again.'),
  c('failed_to_read_image', 'The PNG file is damaged and cannot be read.'),
  c('invalid_image_url', 'The image_url cannot be used: 10.0.0.8 is a private address (10.0.0.0/8). Give a public http or https address of an image.'),
  c('failed_image_download', 'The image at image_url could not be downloaded: the server answered 404 Not Found. Check that the address serves the image itself.'),
  c('invalid_bg_image_url', 'The bg_image_url cannot be used: 10.0.0.8 is a private address (10.0.0.0/8). Give a public http or https address of an image.'),
  c('failed_bg_download', 'The background image at bg_image_url could not be downloaded: the server answered 404 Not Found. Check that the address serves the image itself.'),
  c('invalid_size', "Invalid size parameter given: it must be one of preview, small, regular, medium, hd, full, 4k, auto."),
  c('invalid_format', 'Invalid format parameter given: it must be one of auto, png, jpg, jpeg, zip.'),
  c('invalid_roi', 'Invalid roi parameter given: a region of interest other than the whole image ("0% 0% 100% 100%") is not supported by this server yet. Crop the image before sending it.'),
  c('invalid_bg_color', 'bg_color must be a hex colour (rgb, rgba, rrggbb or rrggbbaa, with or without #) or a CSS colour name like white.'),
  c('invalid_position', 'The option position applies with canvas or scale: give one of them, or leave position out.'),
  c('invalid_request', 'The body must be an object of remove.bg parameters, such as {"image_url": "https://example.com/photo.jpg", "size": "auto"}.'),
  c('unknown_foreground', 'No subject was found in this photo, so there is nothing to crop, fit or scale. Try it without crop, canvas and scale.'),
];

// remove.bg names a bad value of any parameter `invalid_<parameter>`: each is documented.
for (const name of Object.keys(PARAMETERS)) {
  if (!ERRORS_400.some((e) => e.code === `invalid_${name}`)) {
    ERRORS_400.push(c(`invalid_${name}`, `Invalid ${name} parameter given: see the parameter's description for the values it takes.`));
  }
}

/** The 400 codes this document lists: any other becomes `invalid_request` (errors.ts). */
export const REMOVEBG_400_CODES: ReadonlySet<string> = new Set(ERRORS_400.map((e) => e.code));

export const removeBgSchema = (maxJsonBytes: number): Schema => ({
  summary: 'remove.bg: remove the background of an image, answered at once',
  description:
    'remove.bg\'s `POST /v1.0/removebg`, for its clients: the same sources, parameters, answers and error shapes. The image becomes a ' +
    'Cutout job like any upload and the request waits for it (SYNC_TIMEOUT_SECONDS; past it, 504 with the job id). ' +
    'Body: multipart/form-data, application/x-www-form-urlencoded or JSON (at most ' + `${Math.round(maxJsonBytes / 1024 / 1024)} MB). ` +
    'Key: `X-Api-Key` (any key when this server has no API_KEYS). Parameters without effect here are named in `X-Cutout-Ignored`.',
  operationId: 'removeBgCompat',
  tags: [REMOVEBG_TAG],
  headers: IDEMPOTENCY_REQUEST_HEADERS,
  body: {
    content: {
      'multipart/form-data': { schema: { type: 'object', properties: PARAMETERS } },
      'application/x-www-form-urlencoded': { schema: { type: 'object', properties: without(['image_file', 'bg_image_file']) } },
      'application/json': {
        schema: { type: 'object', properties: without(['image_file', 'bg_image_file']), examples: [{ image_url: 'https://images.example.com/shoes/red-sneaker.jpg', size: 'auto' }] },
      },
    },
  },
  response: {
    200: {
      description: 'The image (PNG, JPEG or remove.bg\'s ZIP), or with `Accept: application/json` its base64 and the subject\'s box',
      headers: IMAGE_HEADERS,
      content: {
        'image/png': { schema: { type: 'string', format: 'binary' } },
        'image/jpeg': { schema: { type: 'string', format: 'binary' } },
        'application/zip': { schema: { type: 'string', format: 'binary' } },
        'application/json': {
          schema: {
            type: 'object',
            properties: { data: { type: 'object', properties: { result_b64: { type: 'string' }, ...Object.fromEntries(FOREGROUND.map((n) => [n, { type: 'integer' }])) } } },
          },
          example: { data: { result_b64: 'iVBORw0KGgoAAAANSUhEUgAAAIsAAACFC…', foreground_top: 46, foreground_left: 63, foreground_width: 1254, foreground_height: 920 } },
        },
      },
    },
    400: removeBgErrors('A source, a parameter or the image is not usable (remove.bg\'s codes; no job is made)', ...ERRORS_400),
    403: removeBgErrors('API keys are on, and the request has none or a wrong one', { code: 'auth_failed', title: 'Missing API Key', message: 'An API key is required: send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>".' }),
    429: {
      ...removeBgErrors('Too many requests from this client (RATE_LIMIT_PER_MINUTE)', { code: 'rate_limit_exceeded', title: 'Rate limit exceeded', message: 'Too many uploads: the limit is 60 per minute. Try again in 42 s.' }),
      headers: {
        'Retry-After': HEADERS.retryAfter,
        'X-RateLimit-Limit': { type: 'integer', description: 'Requests allowed per minute.' },
        'X-RateLimit-Remaining': { type: 'integer', description: 'Requests left in this minute.' },
        'X-RateLimit-Reset': { type: 'integer', description: 'Seconds until the limit resets.' },
      },
    },
    500: removeBgErrors('The job failed on the server, or an unexpected error', { code: 'internal_error', title: 'Internal server error', message: 'Something went wrong on our side. Please try again; quote the request id if it keeps happening.' }),
    503: removeBgErrors('The queue (Redis) is unreachable; nothing was stored', { code: 'queue_unavailable', message: 'The job queue is unavailable right now. Please try again in a moment.' }),
    504: { ...removeBgErrors('Not done within SYNC_TIMEOUT_SECONDS: the job goes on (X-Job-Id, Location)', SYNC_TIMEOUT_CASE), headers: SYNC_TIMEOUT_HEADERS },
  },
});

export const SYNC_TIMEOUT_HEADERS = {
  'X-Job-Id': { type: 'string', description: 'The job, still going on.' },
  Location: HEADERS.location,
};

export const accountSchema: Schema = {
  summary: 'remove.bg: credits and free calls (unlimited here)',
  description:
    'remove.bg\'s `GET /v1.0/account`. Nothing is counted here, so the balance is reported as a large constant that never ' +
    'decreases (`total` and `subscription` 1000000, `payg` and `enterprise` 0, `free_calls` 1000000, `sizes` "all"): clients that check ' +
    'for credits before calling go ahead, and X-Credits-Charged is always 0.',
  operationId: 'removeBgAccount',
  tags: [REMOVEBG_TAG],
  response: {
    200: {
      description: 'The account, in remove.bg\'s shape',
      type: 'object',
      properties: {
        data: {
          type: 'object',
          properties: {
            attributes: {
              type: 'object',
              properties: {
                credits: { type: 'object', properties: Object.fromEntries(['total', 'subscription', 'payg', 'enterprise'].map((n) => [n, { type: 'number' }])) },
                api: { type: 'object', properties: { free_calls: { type: 'integer' }, sizes: { type: 'string' } } },
              },
            },
          },
        },
      },
      examples: [ACCOUNT_EXAMPLE],
    },
    403: removeBgErrors('API keys are on, and the request has none or a wrong one', { code: 'auth_failed', title: 'Missing API Key', message: 'An API key is required: send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>".' }),
    500: removeBgErrors('An unexpected error', { code: 'internal_error', title: 'Internal server error', message: 'Something went wrong on our side. Please try again; quote the request id if it keeps happening.' }),
  },
};

