// POST /remove-bg (an upload becomes a job) and GET /limits (what uploads are accepted).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../http-errors.js';
import { FILE_OPTIONS, isOptionName } from '../../options/options.js';
import { acceptUpload, duplicateOption, malformedForm, queryOptions, unknownField } from '../services/upload.js';
import { limitsBody, limitsSchema, uploadSchema } from './remove-bg.schema.js';

interface Form {
  bytes: Buffer;
  filename: string;
  /** Option fields, as text. */
  fields: Record<string, string>;
  /** The background image (bg_image), if sent. */
  background?: Buffer;
}

/**
 * The form: the image in "file", option fields, and at most a background image in "bg_image".
 * Anything else is refused with a sentence saying what is accepted; every part is read to its
 * end, so the connection stays usable.
 */
async function readForm(req: FastifyRequest): Promise<Form> {
  try {
    return await readParts(req);
  } catch (err) {
    throw malformedForm(err) ?? err;
  }
}

async function readParts(req: FastifyRequest): Promise<Form> {
  let file: { bytes: Buffer; filename: string } | undefined;
  let background: Buffer | undefined;
  const fields: Record<string, string> = {};
  for await (const part of req.parts()) {
    if (part.type === 'field') {
      if (!isOptionName(part.fieldname) || FILE_OPTIONS.includes(part.fieldname)) throw unknownField(part.fieldname);
      if (part.fieldname in fields) throw duplicateOption(part.fieldname);
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname === 'bg_image') {
      if (background) {
        part.file.resume();
        throw duplicateOption('bg_image');
      }
      background = await part.toBuffer();
      continue;
    }
    if (part.fieldname !== 'file') {
      part.file.resume();
      throw badRequest(`The image must be in a field named "file" (got "${part.fieldname.slice(0, 64)}").`, 'file_missing');
    }
    if (file) {
      part.file.resume();
      throw badRequest('The form carries more than one image. Send one image per request, in the field "file".', 'too_many_files');
    }
    file = { bytes: await part.toBuffer(), filename: part.filename };
  }
  if (!file) throw badRequest('No file was uploaded. Send the image in a multipart field named "file".', 'file_missing');
  return { ...file, fields, background };
}

export function removeBgRoute(app: FastifyInstance, deps: ApiDeps) {
  const { config } = deps;
  const limits = limitsBody(config);
  app.get('/limits', { schema: limitsSchema(config), logLevel: 'warn' }, async () => limits);

  app.post(
    '/remove-bg',
    {
      schema: uploadSchema(config),
      // The body is a multipart stream read by the handler (req.file()): the schema documents it,
      // and is not used to validate a parsed body (there is none).
      validatorCompiler: () => () => true,
      config: config.RATE_LIMIT_PER_MINUTE > 0 ? { rateLimit: { max: config.RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } } : {},
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
      const form = await readForm(req);
      for (const name of Object.keys(form.fields)) if (name in query) throw duplicateOption(name);
      const accepted = await acceptUpload(
        deps,
        { bytes: form.bytes, filename: form.filename, requestId: req.id, options: { ...query, ...form.fields }, background: form.background, scope: req.clientScope },
        req.log,
        app.metrics,
      );
      return reply.code(accepted.status === 'done' ? 200 : 202).header('location', accepted.status_url).send(accepted);
    },
  );
}
