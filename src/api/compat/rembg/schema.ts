// How GET and POST /api/remove (rembg's server) are documented in Cutout's OpenAPI document.
import { HEADERS } from '../../schemas.js';
import { IDEMPOTENCY_REQUEST_HEADERS, REPLAY_HEADERS } from '../../routes/idempotency.schema.js';
import { REMBG_TAG, SYNC_TIMEOUT_CASE } from '../docs.js';
import { REMBG_MODELS } from './params.js';

type Schema = Record<string, unknown>;

const p = (type: string, description: string, example: string | number | boolean, extra: Schema = {}): Schema => ({ type, description, examples: [example], ...extra });

const PARAMETERS: Record<string, Schema> = {
  model: p('string', `Accepted as rembg accepts it (a value containing one of ${REMBG_MODELS.join(', ')}). A model loaded here (GET /models) cuts; for any other, the default model answers (X-Cutout-Ignored: model).`, 'u2net'),
  a: p('boolean', 'Alpha matting: Cutout\'s edge refinement (refine=fast: a guided filter and edge colour estimation). Without it the answer is rembg\'s own (refine=none).', false),
  af: p('integer', 'Alpha matting foreground threshold, 0–255: checked, no effect.', 240, { minimum: 0, maximum: 255 }),
  ab: p('integer', 'Alpha matting background threshold, 0–255: checked, no effect.', 10, { minimum: 0, maximum: 255 }),
  ae: p('integer', 'Alpha matting erode size, 0 or more: checked, no effect.', 10, { minimum: 0 }),
  om: p('boolean', 'Only the mask: an 8-bit greyscale PNG (Cutout `channels=alpha`).', false),
  ppm: p('boolean', 'Post-process the mask: accepted, not applied (X-Cutout-Ignored: ppm).', false),
  bgc: p('string', 'A background colour `r,g,b,a` (0–255 each; Cutout `bg_color`); not with `om`, as in rembg.', '255,255,255,255'),
  extras: p('string', 'Extra model parameters as JSON: ignored (X-Cutout-Ignored: extras).', '{}'),
};

export function rembgErrors(description: string, ...cases: [name: string, detail: string][]): Schema {
  return {
    type: 'object',
    properties: { detail: { type: 'string', description: 'What went wrong (FastAPI\'s shape).' }, job_id: { type: 'string', description: 'With 504: the job, still going on.' } },
    required: ['detail'],
    description,
    'x-examples': Object.fromEntries(cases.map(([name, detail]) => [name, { summary: name, value: { detail } }])),
  };
}

const PNG_200 = {
  description: 'The cut-out as PNG (or the mask alone, with `om`), like rembg',
  headers: {
    'X-Job-Id': { type: 'string', description: 'The Cutout job that made the image.' },
    'X-Cutout-Ignored': { type: 'string', description: 'The parameters given that had no effect here, comma-separated (absent when none).' },
    'Idempotent-Replayed': { ...REPLAY_HEADERS['Idempotent-Replayed'], description: 'POST: present when an earlier request with the same Idempotency-Key made this job (no second job was made).' },
  },
  content: { 'image/png': { schema: { type: 'string', format: 'binary' } } },
};

const SHARED = {
  401: rembgErrors('API keys are on and the request has none', ['api_key_required', 'An API key is required: send it as "Authorization: Bearer <key>" or "X-Api-Key: <key>".']),
  403: rembgErrors('The API key is not one of API_KEYS', ['api_key_invalid', 'This API key is not valid.']),
  413: rembgErrors('The image is too large', ['file_too_large', 'The file is larger than the 25 MB limit. Please upload a smaller image.']),
  415: rembgErrors('Not an image this service reads', ['unsupported_media_type', 'This file is not a supported image. Upload a JPEG, PNG, WebP, GIF, AVIF or TIFF file.']),
  422: rembgErrors(
    'A parameter is missing or has a value rembg would refuse, or the image is damaged',
    ['missing_file', 'file: Field required.'],
    ['missing_url', 'url: Field required.'],
    ['invalid_af', 'af: Input should be from 0 to 255.'],
    ['invalid_model', `model: String should match one of rembg's models (${REMBG_MODELS.join(', ')}).`],
    ['invalid_image', 'The PNG file is damaged and cannot be read.'],
  ),
  500: rembgErrors('The job failed, or an unexpected error', ['internal_error', 'Something went wrong on our side. Please try again; quote the request id if it keeps happening.']),
  503: rembgErrors('The queue (Redis) is unreachable', ['queue_unavailable', 'The job queue is unavailable right now. Please try again in a moment.']),
  504: { ...rembgErrors('Not done within SYNC_TIMEOUT_SECONDS; the job goes on', ['sync_timeout', SYNC_TIMEOUT_CASE.message]), headers: { 'X-Job-Id': { type: 'string', description: 'The job.' }, Location: HEADERS.location } },
};

export const rembgUrlSchema: Schema = {
  summary: 'rembg: remove the background of the image at a URL',
  description:
    "rembg's `GET /api/remove?url=…` (`rembg s`): the image is downloaded SSRF-safely (public addresses only), made a Cutout job, " +
    'and the PNG answered when it is done (SYNC_TIMEOUT_SECONDS). Errors are FastAPI\'s `{"detail": …}`.',
  operationId: 'rembgRemoveUrl',
  tags: [REMBG_TAG],
  querystring: { type: 'object', properties: { url: p('string', 'The address of the image (http or https, public).', 'https://images.example.com/shoes/red-sneaker.jpg'), ...PARAMETERS }, required: ['url'] },
  response: {
    200: PNG_200,
    400: rembgErrors('The URL cannot be used, or its download failed', ['invalid_image_url', 'The image_url cannot be used: 10.0.0.8 is a private address (10.0.0.0/8). Give a public http or https address of an image.'], ['failed_image_download', 'The image at image_url could not be downloaded: the server answered 404 Not Found. Check that the address serves the image itself.']),
    ...SHARED,
  },
};

export const rembgFileSchema: Schema = {
  summary: 'rembg: remove the background of an uploaded image',
  description:
    "rembg's `POST /api/remove` (`rembg s`): the image in the multipart field `file`, the parameters as form fields (`bgc` and " +
    '`extras` in the query, as rembg reads them; the form is read too). Answers the PNG when the job is done.',
  operationId: 'rembgRemoveFile',
  tags: [REMBG_TAG],
  headers: IDEMPOTENCY_REQUEST_HEADERS,
  querystring: { type: 'object', properties: { bgc: PARAMETERS.bgc, extras: PARAMETERS.extras } },
  body: { content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: 'The image.' }, ...PARAMETERS } } } } },
  response: { 200: PNG_200, 400: rembgErrors('The form is malformed', ['malformed_form', 'The form data is malformed (its boundary is missing or it ends early). Send a complete multipart/form-data body.']), ...SHARED },
};
