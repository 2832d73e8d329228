// POST /remove-bg (an upload, or an image_url, becomes a job) and GET /limits (what uploads are accepted).
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { idempotent, fingerprintOf } from '../services/idempotency.js';
import { checkCallbackUrl } from '../services/callback-url.js';
import { fetchImageUrl } from '../services/image-url.js';
import { acceptUpload, duplicateOption, queryOptions } from '../services/upload.js';
import { JSON_BODY_LIMIT, readRemoveBgBody } from './remove-bg.body.js';
import { limitsBody, limitsSchema, uploadSchema } from './remove-bg.schema.js';

export function removeBgRoute(app: FastifyInstance, deps: ApiDeps) {
  const { config } = deps;
  const limits = limitsBody(config);
  app.get('/limits', { schema: limitsSchema(config), logLevel: 'warn' }, async () => limits);

  app.post(
    '/remove-bg',
    {
      schema: uploadSchema(config),
      // The body is a multipart stream read by the handler (req.parts()), or a small JSON object:
      // the schema documents both, and is not used to validate them (readRemoveBgBody does).
      validatorCompiler: () => () => true,
      config: {
        jsonBodyLimit: JSON_BODY_LIMIT,
        ...(config.RATE_LIMIT_PER_MINUTE > 0 ? { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } } : {}),
      },
      // Refuse an announced oversize body before reading it.
      onRequest: async (req) => {
        const announced = Number(req.headers['content-length'] ?? 0);
        if (announced > config.MAX_UPLOAD_BYTES + 64 * 1024) {
          throw Object.assign(new Error('too large'), { code: 'FST_REQ_FILE_TOO_LARGE', statusCode: 413 });
        }
      },
    },
    async (req, reply) => {
      const query = queryOptions(req.query);
      const body = await readRemoveBgBody(req);
      for (const name of Object.keys(body.fields)) if (name in query) throw duplicateOption(name);
      const options = { ...query, ...body.fields };
      const { source } = body;
      const answer = await idempotent(
        deps.idempotency,
        req,
        reply,
        () => fingerprintOf({ source: source.kind === 'file' ? { file: source.bytes, filename: source.filename } : { url: source.url }, options, background: body.background, callback: body.callbackUrl }),
        async () => {
          const callbackUrl = body.callbackUrl === undefined ? undefined : await checkCallbackUrl(config, body.callbackUrl);
          const { bytes, filename } = source.kind === 'file' ? source : await fetchImageUrl(config, source.url);
          const accepted = await acceptUpload(
            deps,
            { bytes, filename, requestId: req.id, options, background: body.background, scope: req.clientScope, callbackUrl },
            req.log,
            app.metrics,
          );
          return { status: accepted.status === 'done' ? 200 : 202, body: accepted, location: accepted.status_url };
        },
      );
      if (answer.location) reply.header('location', answer.location);
      return reply.code(answer.status as 200 | 202).send(answer.body);
    },
  );
}
