// Request bodies. Uploads are multipart (the multipart plugin reads them as a stream). A route may
// take a small JSON body by saying so (`config: { jsonBodyLimit }`): it is parsed to req.body,
// and past the limit answers 413 body_too_large; or a PNG (`config: { pngBody }`, req.body a Buffer). Any other body, whatever its Content-Type, is
// read and dropped, up to BODY_LIMIT_BYTES (past it: 413 body_too_large). A client that sends a
// stray JSON body to DELETE or /admin/cleanup is not refused for it, and no parser error can
// surface where the document does not say so. Registered before the multipart plugin, which adds
// its own parser.
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { formatBytes } from '../../format.js';
import { BODY_LIMIT_BYTES } from '../errors.js';
import { HttpError, badRequest } from '../http-errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route takes a JSON body (application/json) of at most this many bytes, parsed to req.body. */
    jsonBodyLimit?: number;
    /** This route takes a raw PNG body (image/png) as a Buffer in req.body: its limit, and the error past it. */
    pngBody?: { limit: number; tooLarge: () => Error };
  }
}

type Done = (err: Error | null, body?: unknown) => void;

export const bodyTooLarge = () => Object.assign(new Error('body too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });

/** A Content-Type the framework can parse: type/subtype, then parameters. */
const MEDIA_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+\s*(;.*)?$/;

/** Reads the body to its end, keeping at most `keep` bytes; `onEnd` gets them, or an error past `limit`. */
export function readBody(payload: NodeJS.ReadableStream, limit: number, keep: number, onEnd: (err: Error | null, bytes: Buffer) => void, tooLarge: () => Error) {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let settled = false;
  const finish = (err: Error | null) => {
    if (settled) return;
    settled = true;
    onEnd(err, Buffer.concat(chunks));
  };
  payload.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > limit) finish(tooLarge());
    else if (bytes <= keep) chunks.push(chunk);
  });
  payload.on('end', () => finish(null));
  payload.on('error', (err: Error) => finish(err));
}

function parseJson(bytes: Buffer, done: Done) {
  if (bytes.length === 0) return done(badRequest('The JSON body is empty. Send an object such as {"image_url": "https://example.com/photo.jpg"}.', 'malformed_body'));
  try {
    done(null, JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    const detail = err instanceof Error ? err.message.slice(0, 120) : 'a syntax error';
    done(badRequest(`The JSON body is not valid JSON (${detail}).`, 'malformed_body'));
  }
}

export default fp(async (app) => {
  // A Content-Type that is not a media type at all (";;;") would stop the framework before any
  // route: treat it as opaque bytes, so the route answers (an upload then says multipart is expected).
  app.addHook('onRequest', async (req) => {
    const type = req.headers['content-type'];
    if (type !== undefined && !MEDIA_TYPE.test(type)) req.headers['content-type'] = 'application/octet-stream';
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done: Done) => readBody(payload, BODY_LIMIT_BYTES, 0, (err) => done(err, undefined), bodyTooLarge));
  app.addContentTypeParser('application/json', (req: FastifyRequest, payload, done: Done) => {
    const limit = req.routeOptions.config.jsonBodyLimit;
    if (!limit) return readBody(payload, BODY_LIMIT_BYTES, 0, (err) => done(err, undefined), bodyTooLarge);
    const tooLarge = () => new HttpError(413, 'body_too_large', `The JSON body is larger than the ${formatBytes(limit)} limit of this operation.`);
    readBody(payload, limit, limit, (err, bytes) => (err ? done(err) : parseJson(bytes, done)), tooLarge);
  });
  app.addContentTypeParser('image/png', (req: FastifyRequest, payload, done: Done) => {
    const png = req.routeOptions.config.pngBody;
    if (!png) return readBody(payload, BODY_LIMIT_BYTES, 0, (err) => done(err, undefined), bodyTooLarge);
    readBody(payload, png.limit, png.limit, (err, bytes) => done(err, err ? undefined : bytes), png.tooLarge);
  });
}, { name: 'bodies' });
