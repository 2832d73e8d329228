// Errors that carry meaning. Client mistakes map to 4xx with a code and a sentence a person can
// act on; anything else is a 5xx whose text is never shown to the client.

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes are not an image we can process. Never worth retrying. */
export class InvalidImageError extends AppError {
  constructor(message: string, code = 'invalid_image') {
    super(code === 'empty_file' ? 400 : 422, code, message);
  }
}

export class UnsupportedMediaError extends AppError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

export class ImageTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'image_too_large', message);
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

/** The job was canceled by a client while it was in hand; the worker stops at a stage boundary. */
export class JobCanceledError extends Error {
  override name = 'JobCanceledError';
  constructor() {
    super('The job was canceled.');
  }
}

/** The job existed but expired and was deleted. */
export class GoneError extends AppError {
  constructor(message: string, code = 'job_expired') {
    super(410, code, message);
  }
}

/** No job has this id: it never existed, or it expired long ago. */
export function unknownJob(jobId: string): NotFoundError {
  return new NotFoundError(
    `No job with id "${jobId.slice(0, 64)}" exists. It may never have existed, or it expired and was deleted.`,
    'job_not_found',
  );
}

/** The job finished more than RESULT_TTL_MINUTES ago: its files were deleted. */
export function jobExpired(ttlMinutes: number): GoneError {
  return new GoneError(
    `This job expired: its image and result were deleted ${ttlMinutes} minutes after it finished, as this service is configured. Please upload the image again.`,
  );
}

/** A dependency (Redis) is down; the client may retry. */
export class ServiceUnavailableError extends AppError {
  constructor(message: string, code = 'service_unavailable') {
    super(503, code, message);
  }
}
