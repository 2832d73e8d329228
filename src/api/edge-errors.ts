// Errors raised before a request reaches a route: a URL that cannot be decoded, a path parameter
// over the router's length limit, headers too large or bytes that are not HTTP. They get the same
// JSON body, X-Request-Id and security headers as every other answer, and never echo input.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unknownJob } from '../errors.js';
import { jobIdInPath } from './route-match.js';

export const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

/** Longest path parameter the router accepts (a job id is 36 characters). */
export const MAX_PARAM_LENGTH = 100;

/** Fastify's frameworkErrors: a broken percent-encoding or an over-long id names no resource: 404. */
export function frameworkError(app: () => FastifyInstance, err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0] ?? '';
  const jobId = jobIdInPath(app().routeList, path);
  const { code, message } = jobId !== null
    ? unknownJob(jobId)
    : { code: 'not_found', message: 'There is no endpoint at this URL (it is not a valid URL). See /docs for the API.' };
  req.log.info({ code: err.code, status: 404 }, 'request refused before routing');
  return reply
    .headers({ ...SECURITY_HEADERS, 'x-request-id': req.id })
    .code(404)
    .send({ error: { code, message, request_id: req.id } });
}

export const CLIENT_ERRORS: Record<string, { status: number; text: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    text: 'Request Header Fields Too Large',
    code: 'headers_too_large',
    message: 'The request headers are larger than the 16 KB this server reads. Send fewer or shorter headers (cookies, long tokens).',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    text: 'Request Timeout',
    code: 'request_timeout',
    message: 'The request took too long to arrive. Please send it again.',
  },
};
const NOT_HTTP = { status: 400, text: 'Bad Request', code: 'bad_request', message: 'The request is not valid HTTP/1.1.' };

/** Fastify's clientErrorHandler: the socket has no request yet, so the answer is written by hand. */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = (err.code && CLIENT_ERRORS[err.code]) || NOT_HTTP;
  const requestId = randomUUID();
  const body = JSON.stringify({ error: { code: known.code, message: known.message, request_id: requestId } });
  if (socket.writable) {
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-request-id': requestId,
      ...SECURITY_HEADERS,
      connection: 'close',
    };
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    socket.write(`HTTP/1.1 ${known.status} ${known.text}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
