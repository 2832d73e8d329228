// Request bodies. Uploads are multipart (the multipart plugin reads them as a stream); no other
// operation takes a body today, so any other body, whatever its Content-Type, is read and
// dropped, up to BODY_LIMIT_BYTES (past it: 413 body_too_large). A client that sends a stray JSON
// body to DELETE or /admin/cleanup is not refused for it, and no parser error can surface where
// the document does not say so. Registered before the multipart plugin, which adds its own parser.
import fp from 'fastify-plugin';
import { BODY_LIMIT_BYTES } from '../errors.js';

const bodyTooLarge = () => Object.assign(new Error('body too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });

/** A Content-Type the framework can parse: type/subtype, then parameters. */
const MEDIA_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+\s*(;.*)?$/;

export default fp(async (app) => {
  // A Content-Type that is not a media type at all (";;;") would stop the framework before any
  // route: treat it as opaque bytes, so the route answers (an upload then says multipart is expected).
  app.addHook('onRequest', async (req) => {
    const type = req.headers['content-type'];
    if (type !== undefined && !MEDIA_TYPE.test(type)) req.headers['content-type'] = 'application/octet-stream';
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => {
    let bytes = 0;
    let settled = false;
    const finish = (err: Error | null) => {
      if (settled) return;
      settled = true;
      done(err, undefined);
    };
    payload.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > BODY_LIMIT_BYTES) finish(bodyTooLarge());
    });
    payload.on('end', () => finish(null));
    payload.on('error', (err) => finish(err));
  });
}, { name: 'bodies' });
