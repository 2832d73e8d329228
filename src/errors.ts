// Errors that carry meaning, not transport: a stable code and a sentence a person can act on.
// The api maps them to HTTP statuses in one place (api/http-errors.ts); the worker maps them to
// BullMQ's UnrecoverableError (a bad image is never worth retrying); the CLI prints the sentence.

export class CutoutError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes are an image format we read, but not an image we can process. Never worth retrying. */
export class InvalidImageError extends CutoutError {
  constructor(message: string, code: 'invalid_image' | 'truncated_image' | 'empty_file' = 'invalid_image') {
    super(code, message);
  }
}

/** The bytes are not an image format this service reads. */
export class UnsupportedImageError extends CutoutError {
  constructor(message: string) {
    super('unsupported_media_type', message);
  }
}

/** The image has more pixels than the service accepts. */
export class ImageTooLargeError extends CutoutError {
  constructor(message: string) {
    super('image_too_large', message);
  }
}

/** A per-job option has a value that is not allowed (`invalid_<option>`, `multiple_bg_sources`, `unknown_option`). */
export class InvalidOptionError extends CutoutError {}

/**
 * The job's options cannot be applied to this image (`no_face_found` for a face crop without a
 * face). Like a bad image, never worth retrying.
 */
export class UnprocessableOptionError extends CutoutError {}

/**
 * The model found no subject in the photo (remove.bg's `unknown_foreground`). Handled like
 * `no_subject_found`: final, never retried.
 */
export class UnknownForegroundError extends UnprocessableOptionError {
  constructor() {
    super(
      'unknown_foreground',
      'No foreground (person, product, animal, …) could be found in this photo, so there is nothing to cut out. Try a photo with a clear subject.',
    );
  }
}

/**
 * A job asks for a model this worker has not loaded: MODELS differs between the api and this
 * worker. Never worth retrying on the same worker.
 */
export class ModelNotLoadedError extends UnprocessableOptionError {
  constructor(model: string, loaded: readonly string[]) {
    super(
      'model_not_loaded',
      `The model "${model}" is not loaded on the worker that took this job (it has ${loaded.join(', ')}). The service's api and workers must list the same MODELS.`,
    );
  }
}

/** A mask sent to the editor's PUT /jobs/{id}/mask cannot be used (not a PNG, colour, transparent, wrong shape). */
export class InvalidMaskError extends CutoutError {
  constructor(message: string) {
    super('invalid_mask', message);
  }
}

/** No job has this id: it never existed, or it expired long ago. */
export class JobNotFoundError extends CutoutError {}

/** The job existed but expired: its files were deleted. */
export class JobExpiredError extends CutoutError {}

/** The job was canceled by a client while it was in hand; the worker stops at a stage boundary. */
export class JobCanceledError extends Error {
  override name = 'JobCanceledError';
  constructor() {
    super('The job was canceled.');
  }
}

/** No job has this id: it never existed, or it expired long ago. */
export function unknownJob(jobId: string): JobNotFoundError {
  return new JobNotFoundError(
    'job_not_found',
    `No job with id "${jobId.slice(0, 64)}" exists. It may never have existed, or it expired and was deleted.`,
  );
}

/** The job finished more than RESULT_TTL_MINUTES ago: its files were deleted. */
export function jobExpired(ttlMinutes: number): JobExpiredError {
  return new JobExpiredError(
    'job_expired',
    `This job expired: its image and result were deleted ${ttlMinutes} minutes after it finished, as this service is configured. Please upload the image again.`,
  );
}

/**
 * The external engine (ENGINE=removebg) refused the work for a reason no retry fixes: it refused
 * the API key, or the configured address is not a remove.bg-compatible API. Final, never retried.
 */
export class EngineRefusedError extends CutoutError {
  constructor(message: string) {
    super('engine_refused', message);
  }
}

/**
 * The external engine could not do the work now: out of credits (402), rate limited (429), failing
 * (5xx), unreachable or too slow. Retried with backoff, not before `retryAfterMs` when it said so.
 */
export class EngineUnavailableError extends CutoutError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super('engine_unavailable', message);
  }
}
