// Errors in remove.bg's shape, {"errors": [{"title", "code", "detail"}]}, with its codes and
// statuses: every client mistake about the request or the image is a 400 (no credits charged),
// a missing or wrong key a 403, too many requests a 429 (Retry-After, X-RateLimit-*). Cutout's
// own codes are translated where remove.bg has a name for the same thing.
import type { ErrorAnswer } from '../../errors.js';

export interface RemoveBgError {
  status: number;
  body: { errors: { title: string; code: string; detail: string }[] };
}

/** Cutout's code → remove.bg's, where they differ. */
const CODE: Record<string, string> = {
  file_too_large: 'file_too_large',
  body_too_large: 'file_too_large',
  unsupported_media_type: 'invalid_file_type',
  image_too_large: 'resolution_too_high',
  invalid_image: 'failed_to_read_image',
  truncated_image: 'failed_to_read_image',
  empty_file: 'failed_to_read_image',
  no_subject_found: 'unknown_foreground',
  multipart_expected: 'invalid_request',
  malformed_body: 'invalid_request',
  malformed_form: 'invalid_request',
  unknown_field: 'unknown_parameter',
  api_key_required: 'auth_failed',
  api_key_invalid: 'auth_failed',
  rate_limited: 'rate_limit_exceeded',
};

/** remove.bg's titles (its document's examples); the detail is Cutout's sentence. */
const TITLE: Record<string, string> = {
  missing_source: 'No image given',
  multiple_sources: 'Multiple image sources given',
  multiple_bg_sources: 'Multiple background sources given',
  file_too_large: 'File too large',
  invalid_file_type: 'Invalid file type',
  resolution_too_high: 'Image resolution too high',
  failed_to_read_image: 'There was an error reading the image.',
  invalid_image_url: 'Invalid image_url: Please provide a valid URL.',
  failed_image_download: 'Failed to download image from given image_url',
  invalid_bg_image_url: 'Invalid bg_image_url: Please provide a valid URL.',
  failed_bg_download: 'Failed to download background image from given bg_image_url',
  unknown_foreground: 'Could not identify foreground in image.',
  auth_failed: 'Missing API Key',
  rate_limit_exceeded: 'Rate limit exceeded',
  sync_timeout: 'Processing took too long',
  invalid_request: 'Invalid request',
  internal_error: 'Internal server error',
};

/** Statuses that stay as they are; every other 4xx is remove.bg's 400. */
const KEPT = new Set([403, 429, 503, 504]);

function statusOf(answer: ErrorAnswer): number {
  if (answer.code === 'api_key_required' || answer.code === 'api_key_invalid') return 403;
  if (answer.status >= 500 || KEPT.has(answer.status)) return answer.status;
  return 400;
}

const titleOf = (code: string, fallback: string) =>
  TITLE[code] ?? (code.startsWith('invalid_') ? `Invalid ${code.slice('invalid_'.length)} parameter given` : fallback);

/**
 * Any error's answer in remove.bg's shape. A 400 whose code remove.bg's clients cannot know (not
 * among `documented`, e.g. Cutout's duplicate_option) is remove.bg's generic `invalid_request`; its
 * detail still says what is wrong.
 */
export function removeBgError(answer: ErrorAnswer, documented?: ReadonlySet<string>): RemoveBgError {
  const mapped = CODE[answer.code] ?? answer.code;
  const code = documented && statusOf(answer) === 400 && !documented.has(mapped) ? 'invalid_request' : mapped;
  const title = answer.code === 'api_key_invalid' ? 'API Key invalid' : titleOf(code, answer.message);
  return { status: statusOf(answer), body: { errors: [{ title, code, detail: answer.message }] } };
}
