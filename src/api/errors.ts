// One place that turns any error into the JSON error body. 4xx carry the reason; 5xx hide it.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, serviceUnavailable, toHttpError } from './http-errors.js';
import { allowedMethods } from './route-match.js';
import { formatBytes } from '../format.js';

/** The limits error messages name, so that each names the limit that was really hit. */
export interface FormLimits {
  maxUploadBytes: number;
  /** For bodies that are not uploads (JSON, forms without a file). */
  bodyLimitBytes: number;
  maxFields: number;
}

/** Fastify's limit for bodies that are not multipart uploads. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Text fields a form may carry besides its file (room for per-job options). */
export const MAX_FORM_FIELDS = 32;

export const formLimits = (maxUploadBytes: number): FormLimits => ({
  maxUploadBytes,
  bodyLimitBytes: BODY_LIMIT_BYTES,
  maxFields: MAX_FORM_FIELDS,
});

export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message, request_id: reply.request.id } });
}

const MULTIPART_EXPECTED =
  'Send the image as multipart/form-data with the file in a field named "file", or its address as a JSON body {"image_url": "…"} (Content-Type: application/json).';
const FASTIFY_CODES: Record<string, { status: number; code: string; message: (l: FormLimits) => string }> = {
  FST_REQ_FILE_TOO_LARGE: {
    status: 413,
    code: 'file_too_large',
    message: (l) => `The file is larger than the ${formatBytes(l.maxUploadBytes)} limit. Please upload a smaller image.`,
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'body_too_large',
    message: (l) => `The request body is larger than the ${formatBytes(l.bodyLimitBytes)} limit for requests that are not image uploads. Send images as multipart/form-data.`,
  },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'multipart_expected', message: () => MULTIPART_EXPECTED },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'multipart_expected', message: () => MULTIPART_EXPECTED },
  FST_FILES_LIMIT: {
    status: 400,
    code: 'too_many_files',
    message: () => 'The form carries more than two files. Send one image per request, in the field "file" (and a background image in "bg_image", if you want one).',
  },
  FST_FIELDS_LIMIT: {
    status: 413,
    code: 'too_many_fields',
    message: (l) => `The form has more than ${l.maxFields} text fields. Send the image in the field "file" and only the documented fields.`,
  },
  FST_PARTS_LIMIT: {
    status: 413,
    code: 'too_many_parts',
    message: (l) => `The form has more than ${l.maxFields + 2} parts. Send one image in the field "file" and only the documented fields.`,
  },
  FST_PROTO_VIOLATION: { status: 400, code: 'malformed_form', message: () => 'The form data is malformed: a field name is not allowed.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_body', message: () => 'The JSON body is empty.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'malformed_body', message: () => 'The Content-Length does not match the body.' },
};

/** What a client sees for a Fastify error this service names (for the docs' examples). */
export function fastifyErrorCase(fastifyCode: string, maxUploadBytes: number): { code: string; message: string } {
  const known = FASTIFY_CODES[fastifyCode]!;
  return { code: known.code, message: known.message(formLimits(maxUploadBytes)) };
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

/** A known path asked with a method it does not take. */
export const methodNotAllowed = (method: string, allowed: string[]) =>
  new HttpError(405, 'method_not_allowed', `This URL does not take ${method.slice(0, 16)}; it takes ${allowed.join(', ')}. See /docs for the API.`);

/** A 4xx nobody named: a sentence, never the framework's internal text. */
function unnamedClientError(status: number): HttpError {
  if (status === 429) return new HttpError(429, 'rate_limited', 'Too many requests. Please wait a moment and try again.');
  return new HttpError(status, 'bad_request', 'The request could not be understood. Check it against the API documentation at /docs.');
}

/** What any error answers: a status, a code and a sentence (5xx never say what went wrong inside). */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
}

/** The one mapping of every error onto its answer: the api's JSON body and the compat routes' shapes use it. */
export function errorAnswer(err: FastifyError, req: FastifyRequest, limits: FormLimits): ErrorAnswer {
  const named = toHttpError(err);
  if (named) return { status: named.statusCode, code: named.code, message: named.message };
  const known = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (known) return { status: known.status, code: known.code, message: known.message(limits) };
  if (err.validation) return { status: 400, code: 'invalid_request', message: `Invalid request: ${err.message}` };
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (status === 429) return { status, code: 'rate_limited', message: err.message };
    req.log.info({ code: err.code, reason: err.message }, 'client error');
    const unnamed = unnamedClientError(status);
    return { status: unnamed.statusCode, code: unnamed.code, message: unnamed.message };
  }
  req.log.error({ err }, 'request failed');
  const internal = internalError();
  return { status: internal.statusCode, code: internal.code, message: internal.message };
}

export function installErrorHandlers(app: FastifyInstance, maxUploadBytes: number): void {
  const limits = formLimits(maxUploadBytes);
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    // A body the framework refused on its way to no route at all: the answer is about the route.
    if (req.is404) return noRoute(app, req, reply);
    const { status, code, message } = errorAnswer(err, req, limits);
    if (status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    return sendError(reply, status, code, message);
  });
  app.setNotFoundHandler((req, reply) => noRoute(app, req, reply));
}

/** No route takes this method and path: 405 with Allow when the path exists, else 404. */
function noRoute(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0]!;
  const allowed = allowedMethods(app.routeList, path);
  if (allowed.length > 0) {
    const err = methodNotAllowed(req.method, allowed);
    return sendError(reply.header('allow', allowed.join(', ')), err.statusCode, err.code, err.message);
  }
  return sendError(reply, 404, 'not_found', `There is no ${req.method.slice(0, 16)} ${path.slice(0, 200)} endpoint. See /docs for the API.`);
}
