// remove.bg's API on Cutout: POST /v1.0/removebg and GET /v1.0/account, in a scope of their own
// whose error handler answers in remove.bg's shape (the key check and the rate limit included).
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../../deps.js';
import { errorAnswer, formLimits } from '../../errors.js';
import { badRequest } from '../../http-errors.js';
import { bodyTooLarge, readBody } from '../../plugins/bodies.js';
import { SyncTimeoutError } from '../sync-job.js';
import { accountBody } from './account.js';
import { removeBgError } from './errors.js';
import { b64Limit } from './request.js';
import { accountSchema, REMOVEBG_400_CODES, removeBgSchema } from './schema.js';
import { removeBgSync } from './service.js';

/** A form body (application/x-www-form-urlencoded) as name → value; a name given twice is refused. */
function parseUrlEncoded(bytes: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(bytes.toString('utf8'))) {
    if (name in out) throw badRequest(`The parameter "${name.slice(0, 64)}" was given more than once. Give each parameter once.`, 'duplicate_option');
    out[name] = value;
  }
  return out;
}

/** Errors of this scope in remove.bg's shape; a job past SYNC_TIMEOUT_SECONDS names itself. */
export function compatErrorHandler<B>(shape: (status: number, code: string, message: string) => { status: number; body: B }, maxUploadBytes: number) {
  const limits = formLimits(maxUploadBytes);
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    const answer = errorAnswer(err, req, limits);
    const { status, body } = shape(answer.status, answer.code, answer.message);
    if (status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    if (err instanceof SyncTimeoutError) reply.header('x-job-id', err.jobId).header('location', err.statusUrl);
    return reply.code(status).send(body);
  };
}

export async function removeBgCompatRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { config } = deps;
  const bodyLimit = b64Limit(config.MAX_UPLOAD_BYTES);
  await app.register(async (scope) => {
    scope.setErrorHandler(compatErrorHandler((status, code, message) => removeBgError({ status, code, message }, REMOVEBG_400_CODES), config.MAX_UPLOAD_BYTES));
    scope.addContentTypeParser('application/x-www-form-urlencoded', (_req, payload, done) =>
      readBody(payload, bodyLimit, bodyLimit, (err, bytes) => {
        if (err) return done(err);
        try {
          done(null, parseUrlEncoded(bytes));
        } catch (e) {
          done(e as Error);
        }
      }, bodyTooLarge),
    );
    scope.post(
      '/v1.0/removebg',
      {
        schema: removeBgSchema(bodyLimit),
        // The body is read by the handler (multipart parts, or the parsed JSON / form object).
        validatorCompiler: () => () => true,
        config: {
          jsonBodyLimit: bodyLimit,
          ...(config.RATE_LIMIT_PER_MINUTE > 0 ? { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } } : {}),
        },
        onRequest: async (req) => {
          // An image and a background image, or an image as base64 text: refused before reading when announced larger.
          if (Number(req.headers['content-length'] ?? 0) > 2 * config.MAX_UPLOAD_BYTES + 128 * 1024) throw bodyTooLarge();
        },
      },
      async (req, reply) => {
        const answer = await removeBgSync(deps, req, reply, app.metrics);
        return reply.code(200).headers(answer.headers).type(answer.contentType).send(answer.body);
      },
    );
    scope.get('/v1.0/account', { schema: accountSchema }, async () => accountBody());
  });
}
