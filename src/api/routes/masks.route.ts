// The mask editor's routes: GET and PUT /jobs/{job_id}/mask, GET /jobs/{job_id}/source. Each is a
// schema (masks.schema.ts) and one call to the masks service.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatBytes } from '../../format.js';
import { InvalidMaskError } from '../../errors.js';
import { HttpError } from '../http-errors.js';
import { notModified } from '../result-headers.js';
import type { MasksService } from '../services/masks.js';
import { GET_MASK_SCHEMA, PUT_MASK_SCHEMA, SOURCE_SCHEMA } from './masks.schema.js';

type JobParams = { Params: { job_id: string } };

const WRONG_BODY = 'Send the mask as a PNG body with Content-Type: image/png, or as multipart/form-data with the file in a field named "mask".';

/** The file in the form's field `mask` (other fields are ignored); a form that cannot be read is an invalid mask. */
async function formMask(req: FastifyRequest, tooLarge: () => Error): Promise<Buffer> {
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file' && part.fieldname === 'mask') return await part.toBuffer();
      if (part.type === 'file') await part.toBuffer(); // drained, never kept
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge();
    throw new InvalidMaskError(`The form could not be read (too many parts, or malformed). ${WRONG_BODY}`);
  }
  throw new InvalidMaskError(`The form has no file in a field named "mask". ${WRONG_BODY}`);
}

/** The mask's bytes: the raw PNG body, or the multipart field `mask`. */
async function maskBytes(req: FastifyRequest, tooLarge: () => Error): Promise<Buffer> {
  if (req.isMultipart()) return formMask(req, tooLarge);
  if (Buffer.isBuffer(req.body)) return req.body;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'image/png') return Buffer.alloc(0); // an empty body: checkMaskHeader says so
  throw new InvalidMaskError(type ? `The body is ${type.slice(0, 60)}, not a PNG. ${WRONG_BODY}` : `The request has no mask. ${WRONG_BODY}`);
}

export function masksRoutes(app: FastifyInstance, masks: MasksService, maxUploadBytes: number) {
  app.get<JobParams>('/jobs/:job_id/mask', { schema: GET_MASK_SCHEMA }, async (req, reply) => {
    const { png, version, view } = await masks.mask(req.params.job_id, req.id);
    const etag = `"${view.job_id}-mask-v${version}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (notModified(req.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.header('content-type', 'image/png').send(png);
  });

  app.get<JobParams>('/jobs/:job_id/source', { schema: SOURCE_SCHEMA }, async (req, reply) => {
    const { bytes, contentType, view } = await masks.source(req.params.job_id);
    // The upload never changes.
    const etag = `"${view.job_id}-source"`;
    reply.header('etag', etag).header('cache-control', 'private, max-age=3600');
    if (notModified(req.headers['if-none-match'], etag)) return reply.code(304).send();
    return reply.header('content-type', contentType).send(bytes);
  });

  const tooLarge = () => new HttpError(413, 'invalid_mask', `The mask is larger than the ${formatBytes(maxUploadBytes)} limit (MAX_UPLOAD_BYTES).`);
  app.put<JobParams>(
    '/jobs/:job_id/mask',
    {
      schema: PUT_MASK_SCHEMA,
      // The body is a PNG (a Buffer) or a multipart stream: the schema documents both, maskBytes reads them.
      validatorCompiler: () => () => true,
      config: { pngBody: { limit: maxUploadBytes, tooLarge } },
    },
    async (req) => masks.save(req.params.job_id, await maskBytes(req, tooLarge), req.id, req.log),
  );
}
