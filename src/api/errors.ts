// One place that turns any error into the JSON error body. 4xx carry the reason; 5xx hide it.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, serviceUnavailable, toHttpError } from './http-errors.js';
import { formatBytes } from '../format.js';

export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message, request_id: reply.request.id } });
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: (limit: number) => string }> = {
  FST_REQ_FILE_TOO_LARGE: {
    status: 413,
    code: 'file_too_large',
    message: (limit) => `The file is larger than the ${formatBytes(limit)} limit. Please upload a smaller image.`,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'file_too_large',
    message: (limit) => `The upload is larger than the ${formatBytes(limit)} limit. Please upload a smaller image.`,
  },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    status: 415,
    code: 'multipart_expected',
    message: () => 'Send the image as multipart/form-data with the file in a field named "file".',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'multipart_expected',
    message: () => 'Send the image as multipart/form-data with the file in a field named "file".',
  },
  FST_FILES_LIMIT: { status: 400, code: 'too_many_files', message: () => 'Send one file per request.' },
  FST_PARTS_LIMIT: { status: 400, code: 'too_many_parts', message: () => 'The form has too many parts.' },
  FST_PROTO_VIOLATION: { status: 400, code: 'bad_request', message: () => 'The form data is malformed.' },
};

/** What a client sees for a Fastify error this service names (for the docs' examples). */
export function fastifyErrorCase(fastifyCode: string, maxUploadBytes: number): { code: string; message: string } {
  const known = FASTIFY_CODES[fastifyCode]!;
  return { code: known.code, message: known.message(maxUploadBytes) };
}

/** The text of a 429 from the upload rate limit. */
export const tooManyUploads = (max: number, retryInSeconds: number) =>
  `Too many uploads: the limit is ${max} per minute. Try again in ${retryInSeconds} s.`;

/** Any server fault: the text never says what went wrong inside. */
export const internalError = () =>
  new HttpError(500, 'internal_error', 'Something went wrong on our side. Please try again; quote the request id if it keeps happening.');

/** A request that reaches an api process while it shuts down: retry it elsewhere. */
export const shuttingDown = () =>
  serviceUnavailable('This server is shutting down. Please retry: the request will reach another instance.', 'shutting_down');

export function installErrorHandlers(app: FastifyInstance, maxUploadBytes: number): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const named = toHttpError(err);
    if (named) return sendError(reply, named.statusCode, named.code, named.message);
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return sendError(reply, known.status, known.code, known.message(maxUploadBytes));
    if (err.validation) return sendError(reply, 400, 'invalid_request', `Invalid request: ${err.message}`);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      if (status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
      return sendError(reply, status, status === 429 ? 'rate_limited' : 'bad_request', err.message);
    }
    req.log.error({ err }, 'request failed');
    const internal = internalError();
    return sendError(reply, internal.statusCode, internal.code, internal.message);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, 'not_found', `There is no ${req.method} ${req.url.split('?')[0]} endpoint. See /docs for the API.`),
  );
}
