// What the mask editor's routes accept and answer, with their OpenAPI texts.
import { jobExpired, unknownJob } from '../../errors.js';
import { EXAMPLE, JOB_ERRORS, ROUTE_SCHEMAS, STATUS_EXAMPLES, errorResponse, response } from '../schemas.js';

const ETAG = { type: 'string', description: 'Changes with the job\'s `result_version`; send it back in If-None-Match: 304 while it is current.' };
const NOT_READY = errorResponse(
  'The job is not done (yet), or does not exist',
  ['mask_not_ready', 'The job is processing: its mask and photo are available once it is done.'],
  unknownJob(EXAMPLE.jobId),
  ['result_expired', 'The mask is no longer available: the job\'s files were deleted. Please upload the image again.'],
);
const CACHED = errorResponse('The job was answered from the result cache before such jobs kept where their result came from', [
  'edit_unavailable',
  'This job was answered from the result cache before such jobs could be edited: it keeps no photo or mask to edit. Upload the photo again.',
]);
/** A job answered from the result cache gets its photo from the job it copied, on its first edit: gone when that one expired first. */
const GONE = errorResponse(
  'The job expired, or it was answered from the result cache and the job it copied has expired before its first edit',
  jobExpired(60),
  [
    'source_expired',
    `This result was copied from an earlier job with the same photo (${EXAMPLE.jobId}), whose photo has since expired and been deleted, so it cannot be edited. Upload the photo again to edit it.`,
  ],
);
const TIMEOUT = errorResponse('Not done within SYNC_TIMEOUT_SECONDS; the work goes on', [
  'sync_timeout',
  `The edited mask is still being applied (result_version 2) after 60 s (SYNC_TIMEOUT_SECONDS). Follow the status of job ${EXAMPLE.jobId}, then ask again.`,
]);

export const GET_MASK_SCHEMA = {
  summary: 'The job\'s current mask, at the photo\'s size (for the mask editor)',
  description:
    'An 8-bit greyscale PNG: 255 subject, 0 background, in the pixel grid of the uploaded photo after EXIF rotation ' +
    '(the status\'s `width` × `height`), not of the cropped or resized result. The edited mask when one was saved, ' +
    'else the model\'s, scaled to the photo and refined as the job asked (`refine`): the alpha the result was made with. ' +
    'The first request for a model mask has it made on a worker (a fraction of a second).',
  operationId: 'getMask',
  tags: ['editor'],
  params: ROUTE_SCHEMAS.jobParams,
  produces: ['image/png'],
  response: {
    200: { type: 'string', format: 'binary', description: 'The mask (image/png, greyscale)', headers: { ETag: ETAG } },
    304: { description: 'Not modified: the If-None-Match ETag names the current mask.', headers: { ETag: ETAG } },
    404: NOT_READY,
    409: CACHED,
    410: GONE,
    504: TIMEOUT,
  },
};

export const SOURCE_SCHEMA = {
  summary: 'The photo as it was uploaded (for the mask editor to draw under the mask)',
  description:
    'The uploaded bytes with their media type, unchanged: EXIF orientation is not applied to the bytes. Browsers apply it ' +
    'when they draw the image (CSS `image-orientation: from-image`, the default), which gives the mask\'s frame ' +
    '(the status\'s `width` × `height`). Most browsers cannot draw TIFF.',
  operationId: 'getSource',
  tags: ['editor'],
  params: ROUTE_SCHEMAS.jobParams,
  produces: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/tiff'],
  response: {
    200: { type: 'string', format: 'binary', description: 'The uploaded photo' },
    404: NOT_READY,
    409: CACHED,
    410: GONE,
  },
};

export const PUT_MASK_SCHEMA = {
  summary: 'Save an edited mask: the result is re-rendered from it with the job\'s options',
  description:
    'The body is a PNG whose grey level is the mask (255 subject, 0 background), sent raw (`Content-Type: image/png`) or ' +
    'as multipart/form-data in a field named `mask`. Greyscale PNGs, and RGB/RGBA PNGs with R = G = B everywhere (what a ' +
    'canvas exports) are accepted; an alpha channel must be 255 everywhere. Any size with the photo\'s aspect ratio ' +
    '(within 1 % or 1 px): the server scales it to the photo. The mask is the result\'s alpha as it is: edges are not refined ' +
    'again (the mask from GET /jobs/{job_id}/mask is already refined), so hard edits come back exactly. The job\'s options ' +
    '(background, crop, size, format, shadow) are applied again, on a worker; the request waits for it (at most ' +
    'SYNC_TIMEOUT_SECONDS) and answers the new status: `result_version` + 1, `edited: true`. The job stays `done` ' +
    'throughout, serving the previous version until the new one is ready; a failed re-render keeps the previous version ' +
    'and shows `edit_error` (the request answers it: 400 `invalid_mask` for a mask with colour or transparency, found ' +
    'reading its pixels; 500 `edit_failed` for an internal error). The edit never reaches the result cache: other jobs on the same photo keep the model\'s mask.',
  operationId: 'putMask',
  tags: ['editor'],
  params: ROUTE_SCHEMAS.jobParams,
  body: {
    content: {
      'image/png': { schema: { type: 'string', format: 'binary', description: 'The mask, an 8-bit PNG.' } },
      'multipart/form-data': {
        schema: { type: 'object', required: ['mask'], properties: { mask: { type: 'string', format: 'binary', description: 'The mask, an 8-bit PNG.' } } },
      },
    },
  },
  response: {
    200: response('Saved: the new version is served', ROUTE_SCHEMAS.status, {
      ...STATUS_EXAMPLES.done,
      result: { ...STATUS_EXAMPLES.done.result!, bytes: 1187410, foreground: { left: 63, top: 46, width: 1254, height: 920 }, confidence: undefined },
      edited: true,
      edited_at: '2026-11-23T10:21:40.031Z',
      result_version: 2,
    }),
    400: errorResponse(
      'The mask cannot be used; the message says why',
      ['invalid_mask', 'The mask\'s aspect ratio does not match the photo: the mask is 800x800, the photo 2400x1600. Send it at the photo\'s size, or scaled with the same aspect ratio.'],
    ),
    404: JOB_ERRORS[404],
    409: errorResponse(
      'The job is not done, another edit is being applied, or the job came from the result cache before such jobs could be edited',
      ['job_not_done', 'The job is processing: a mask can be saved once it is done.'],
      ['edit_in_progress', 'Another edit of this job\'s mask is being applied. Wait for it to end, then save again.'],
      ['edit_unavailable', 'This job was answered from the result cache before such jobs could be edited: it keeps no photo or mask to edit. Upload the photo again.'],
    ),
    410: GONE,
    413: errorResponse('The mask is larger than MAX_UPLOAD_BYTES', ['invalid_mask', 'The mask is larger than the 25 MB limit (MAX_UPLOAD_BYTES).']),
    422: errorResponse('The job\'s options cannot be applied to this mask', ['no_subject_found', 'The mask has no subject to crop to.']),
    504: TIMEOUT,
  },
};
