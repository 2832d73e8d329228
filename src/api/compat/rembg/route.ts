// rembg's server on Cutout: GET /api/remove?url=… and POST /api/remove (multipart `file`), with
// rembg's parameters (params.ts), the PNG answered when the job is done, and errors in FastAPI's
// shape {"detail": "…"} (422 for a parameter rembg would refuse).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fetchImageUrl } from '../../services/image-url.js';
import { acceptUpload, malformedForm } from '../../services/upload.js';
import { compatErrorHandler } from '../removebg/route.js';
import { acceptOnce, finishedJob, type SyncDeps } from '../sync-job.js';
import { translateRembg, unprocessable, REMBG_PARAMETERS } from './params.js';
import { rembgFileSchema, rembgUrlSchema } from './schema.js';

type Deps = SyncDeps;

/** rembg's parameters from the query (and a form): names it does not know are left aside, as FastAPI does. */
function known(given: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of REMBG_PARAMETERS) {
    const v = given[name];
    if (v !== undefined) out[name] = String(Array.isArray(v) ? v[v.length - 1] : v);
  }
  return out;
}

async function readForm(req: FastifyRequest): Promise<{ file?: { bytes: Buffer; filename: string }; fields: Record<string, string> }> {
  let file: { bytes: Buffer; filename: string } | undefined;
  const fields: Record<string, string> = {};
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') fields[part.fieldname] = String(part.value);
      else if (part.fieldname === 'file' && !file) file = { bytes: await part.toBuffer(), filename: part.filename };
      else part.file.resume();
    }
  } catch (err) {
    throw malformedForm(err) ?? err;
  }
  return { file, fields };
}

/** The job (made once per Idempotency-Key on POST), waited for; the PNG and its headers. */
async function answer(deps: Deps, req: FastifyRequest, reply: FastifyReply, app: FastifyInstance, image: { bytes: Buffer; filename: string }, given: Record<string, string>) {
  const t = translateRembg(given, deps.config.MODELS);
  const accept = () => acceptUpload(deps, { ...image, requestId: req.id, options: t.options, scope: req.clientScope }, req.log, app.metrics);
  const accepted = req.method === 'POST' ? await acceptOnce(deps, req, reply, { image, given }, accept) : await accept();
  const { view, bytes } = await finishedJob(deps, accepted);
  return { bytes, headers: { 'x-job-id': view.job_id, ...(t.ignored.length ? { 'x-cutout-ignored': t.ignored.join(',') } : {}) } };
}

/** rembg's error body; a download that failed is rembg's 400. */
function rembgShape(status: number, code: string, message: string) {
  return { status: code === 'failed_image_download' ? 400 : status, body: { detail: message, ...(code === 'sync_timeout' ? { job_id: /job ([0-9a-f-]{36})/.exec(message)?.[1] } : {}) } };
}

export async function rembgCompatRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { config } = deps;
  const limited = config.RATE_LIMIT_PER_MINUTE > 0 ? { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } } : undefined;
  await app.register(async (scope) => {
    scope.setErrorHandler(compatErrorHandler(rembgShape, config.MAX_UPLOAD_BYTES));
    scope.get('/api/remove', { schema: rembgUrlSchema, validatorCompiler: () => () => true, config: { ...limited } }, async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      if (typeof query.url !== 'string' || query.url === '') throw unprocessable('url', 'Field required.');
      const image = await fetchImageUrl(config, query.url);
      const out = await answer(deps, req, reply, app, image, known(query));
      return reply.headers(out.headers).type('image/png').send(out.bytes);
    });
    scope.post('/api/remove', { schema: rembgFileSchema, validatorCompiler: () => () => true, config: { ...limited } }, async (req, reply) => {
      const { file, fields } = await readForm(req);
      if (!file) throw Object.assign(unprocessable('file', 'Field required.'), { code: 'missing_file' });
      const out = await answer(deps, req, reply, app, file, { ...known(req.query as Record<string, unknown>), ...known(fields) });
      return reply.headers(out.headers).type('image/png').send(out.bytes);
    });
  });
}
