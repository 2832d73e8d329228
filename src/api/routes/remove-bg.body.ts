// What a POST /remove-bg carries: exactly one source (an uploaded file in "file", or an image_url),
// option fields as text, and perhaps a background image. Read from a multipart form, or from a
// JSON object {"image_url": …, …options} (numbers and booleans are taken as their text).
import type { FastifyRequest } from 'fastify';
import { MAX_URL_LENGTH } from '../../net/destination.js';
import { FILE_OPTIONS, isOptionName } from '../../options/options.js';
import { badRequest } from '../http-errors.js';
import { invalidImageUrl } from '../services/image-url.js';
import { duplicateOption, unknownField } from '../services/upload.js';

export type Source = { kind: 'file'; bytes: Buffer; filename: string } | { kind: 'url'; url: string };

export interface RemoveBgBody {
  source: Source;
  /** Option fields, as text. */
  fields: Record<string, string>;
  /** The background image (bg_image), if sent. */
  background?: Buffer;
  /** Where the job's final status is POSTed (a webhook), as the client wrote it. */
  callbackUrl?: string;
}

/** The largest JSON body POST /remove-bg reads: a long signed URL and every option fit. */
export const JSON_BODY_LIMIT = 32 * 1024;

export const missingSource = () =>
  badRequest('No image was given: send a file in the multipart field "file", or an image_url (a form field or a JSON body).', 'missing_source');

export const multipleSources = () =>
  badRequest('More than one image source was given: send either a file in the field "file" or one image_url, not both.', 'multiple_sources');

export const isJson = (req: FastifyRequest) => /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');

export async function readRemoveBgBody(req: FastifyRequest): Promise<RemoveBgBody> {
  return isJson(req) ? readJson(req.body) : readForm(req);
}

/** {"image_url": "…", "format": "webp", "crop": true, …}: options by their form names. */
function readJson(body: unknown): RemoveBgBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The JSON body must be an object, such as {"image_url": "https://example.com/photo.jpg"}.', 'malformed_body');
  }
  const fields: Record<string, string> = {};
  let url: string | undefined;
  let callbackUrl: string | undefined;
  for (const [name, value] of Object.entries(body)) {
    if (name === 'callback_url') {
      if (typeof value !== 'string') throw badRequest('The callback_url must be a string: the http or https address to POST to.', 'invalid_callback_url');
      callbackUrl = value;
      continue;
    }
    if (name === 'image_url') {
      if (typeof value !== 'string') throw badRequest('The image_url must be a string: the http or https address of an image.', 'invalid_image_url');
      url = value;
      continue;
    }
    if (!isOptionName(name) || FILE_OPTIONS.includes(name)) throw unknownField(name);
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw badRequest(`The option "${name}" must be a string, a number or true/false.`, `invalid_${name}`);
    }
    fields[name] = String(value);
  }
  if (url === undefined) throw missingSource();
  return { source: { kind: 'url', url }, fields, callbackUrl };
}

/**
 * The form: the image in "file" or its address in "image_url", option fields, and at most a
 * background image in "bg_image". Anything else is refused with a sentence saying what is
 * accepted; every part is read to its end, so the connection stays usable.
 */
async function readForm(req: FastifyRequest): Promise<RemoveBgBody> {
  try {
    return await readParts(req);
  } catch (err) {
    // The form parser's own complaints (no boundary, a form cut short) are plain Errors.
    if (err instanceof Error && !('code' in err) && /^(Multipart|Unexpected end|Malformed)/i.test(err.message)) {
      throw badRequest('The form data is malformed (its boundary is missing or it ends early). Send a complete multipart/form-data body.', 'malformed_form');
    }
    throw err;
  }
}

async function readParts(req: FastifyRequest): Promise<RemoveBgBody> {
  let source: Source | undefined;
  let background: Buffer | undefined;
  let callbackUrl: string | undefined;
  const fields: Record<string, string> = {};
  for await (const part of req.parts()) {
    if (part.type === 'field') {
      if (part.fieldname === 'callback_url') {
        if (callbackUrl !== undefined) throw duplicateOption('callback_url');
        if (part.valueTruncated) throw badRequest(`The callback_url is longer than ${MAX_URL_LENGTH} characters.`, 'invalid_callback_url');
        callbackUrl = String(part.value);
        continue;
      }
      if (part.fieldname === 'image_url') {
        if (source) throw multipleSources();
        // A value past the field size limit arrives cut short: refused, not fetched.
        if (part.valueTruncated) throw invalidImageUrl(`it is longer than ${MAX_URL_LENGTH} characters`);
        source = { kind: 'url', url: String(part.value) };
        continue;
      }
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
    if (source) {
      part.file.resume();
      if (source.kind === 'url') throw multipleSources();
      throw badRequest('The form carries more than one image. Send one image per request, in the field "file".', 'too_many_files');
    }
    source = { kind: 'file', bytes: await part.toBuffer(), filename: part.filename };
  }
  if (!source) throw missingSource();
  return { source, fields, background, callbackUrl };
}
