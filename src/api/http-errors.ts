// Errors as HTTP sees them: the api's own (a status, a code, a sentence), and the one table that
// gives each meaningful error of the service (src/errors.ts) its status.
import {
  CutoutError,
  ImageTooLargeError,
  InvalidImageError,
  InvalidOptionError,
  JobExpiredError,
  JobNotFoundError,
  UnsupportedImageError,
} from '../errors.js';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string, code = 'bad_request') => new HttpError(400, code, message);
export const notFound = (message: string, code = 'not_found') => new HttpError(404, code, message);
export const conflict = (message: string, code = 'conflict') => new HttpError(409, code, message);
/** A dependency (Redis) is down; the client may retry. */
export const serviceUnavailable = (message: string, code = 'service_unavailable') => new HttpError(503, code, message);

/** The HTTP status of each kind of meaningful error. */
const STATUS_OF: [kind: abstract new (...args: never[]) => CutoutError, status: (err: CutoutError) => number][] = [
  [InvalidImageError, (err) => (err.code === 'empty_file' ? 400 : 422)],
  [InvalidOptionError, () => 400],
  [UnsupportedImageError, () => 415],
  [ImageTooLargeError, () => 413],
  [JobNotFoundError, () => 404],
  [JobExpiredError, () => 410],
];

/** An error this service named, as an HttpError; null for anything else (a fault: 500). */
export function toHttpError(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  if (!(err instanceof CutoutError)) return null;
  const entry = STATUS_OF.find(([kind]) => err instanceof kind);
  return new HttpError(entry ? entry[1](err) : 400, err.code, err.message);
}
