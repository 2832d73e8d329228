// What a POST /v1.0/removebg carries, read as remove.bg reads it: a multipart form, an
// application/x-www-form-urlencoded body or a JSON object; exactly one image source (image_file,
// image_file_b64, image_url; an empty value counts as absent), at most one background source
// (bg_color, bg_image_url, bg_image_file), and the other parameters as text.
import type { FastifyRequest } from 'fastify';
import { formatBytes } from '../../../format.js';
import { HttpError, badRequest } from '../../http-errors.js';
import { duplicateOption, malformedForm } from '../../services/upload.js';
import { unknownParameter } from './params.js';

export type ImageSource = { kind: 'file'; bytes: Buffer; filename: string } | { kind: 'url'; url: string };
export type BackgroundSource = { kind: 'file'; bytes: Buffer } | { kind: 'url'; url: string };

export interface RemoveBgRequest {
  image: ImageSource;
  background?: BackgroundSource;
  /** Every other parameter (bg_color included), as text. */
  params: Record<string, string>;
}

/** The longest base64 text of an image of `maxBytes`, with room for a data: prefix and line breaks. */
export const b64Limit = (maxBytes: number) => Math.ceil((maxBytes * 4) / 3) + 64 * 1024;

export const missingSource = () =>
  badRequest('No image given: please provide the source image in the image_url, image_file or image_file_b64 parameter.', 'missing_source');
export const multipleSources = () =>
  badRequest('Multiple image sources given: please provide either the image_url, image_file or image_file_b64 parameter.', 'multiple_sources');
export const multipleBgSources = () =>
  badRequest('Multiple background sources given: please provide either the bg_color, the bg_image_url or the bg_image_file parameter.', 'multiple_bg_sources');

interface Collected {
  fields: Record<string, string>;
  files: { image_file?: { bytes: Buffer; filename: string }; bg_image_file?: Buffer };
}

const FILE_FIELDS = ['image_file', 'bg_image_file'];

async function collectForm(req: FastifyRequest, maxBytes: number): Promise<Collected> {
  const got: Collected = { fields: {}, files: {} };
  for await (const part of req.parts({ limits: { fieldSize: b64Limit(maxBytes) } })) {
    const name = part.fieldname;
    if (name in got.fields || name in got.files) {
      if (part.type === 'file') part.file.resume();
      throw duplicateOption(name);
    }
    if (part.type === 'field') {
      if (part.valueTruncated) throw new HttpError(413, 'file_too_large', `The field ${name.slice(0, 64)} is larger than the ${formatBytes(maxBytes)} limit.`);
      got.fields[name] = String(part.value);
    } else if (name === 'image_file') {
      got.files.image_file = { bytes: await part.toBuffer(), filename: part.filename };
    } else if (name === 'bg_image_file') {
      got.files.bg_image_file = await part.toBuffer();
    } else {
      part.file.resume();
      throw unknownParameter(name);
    }
  }
  return got;
}

function collectObject(body: unknown): Collected {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('The body must be an object of remove.bg parameters, such as {"image_url": "https://example.com/photo.jpg", "size": "auto"}.', 'malformed_body');
  }
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) {
    if (FILE_FIELDS.includes(name)) throw badRequest(`${name} is a file: send it in a multipart/form-data body, or the image as image_file_b64.`, 'unknown_parameter');
    if (value === null || value === undefined) continue;
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw badRequest(`The parameter "${name.slice(0, 64)}" must be a string, a number or true/false.`, `invalid_${name.slice(0, 40)}`);
    fields[name] = String(value as string | number | boolean);
  }
  return { fields, files: {} };
}

/** The image of image_file_b64 (a data: URL prefix and whitespace are allowed). */
function decodeB64(text: string, maxBytes: number): Buffer {
  const clean = text.replace(/^data:[^,]{0,100},/, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(clean)) throw badRequest('There was an error reading the image: image_file_b64 is not base64 text.', 'failed_to_read_image');
  const bytes = Buffer.from(clean, 'base64');
  if (bytes.length > maxBytes) throw new HttpError(413, 'file_too_large', `The file is larger than the ${formatBytes(maxBytes)} limit. Please upload a smaller image.`);
  return bytes;
}

function assemble({ fields, files }: Collected, maxBytes: number): RemoveBgRequest {
  const given = (name: string) => fields[name] !== undefined && fields[name].trim() !== '';
  const { image_url: url, image_file_b64: b64, bg_image_url: bgUrl, ...params } = fields;
  const sources = [files.image_file !== undefined, given('image_file_b64'), given('image_url')].filter(Boolean).length;
  if (sources === 0) throw missingSource();
  if (sources > 1) throw multipleSources();
  if ([files.bg_image_file !== undefined, given('bg_image_url'), given('bg_color')].filter(Boolean).length > 1) throw multipleBgSources();
  const image: ImageSource = files.image_file
    ? { kind: 'file', ...files.image_file }
    : given('image_url')
      ? { kind: 'url', url: url!.trim() }
      : { kind: 'file', bytes: decodeB64(b64!, maxBytes), filename: 'image' };
  const background: BackgroundSource | undefined = files.bg_image_file
    ? { kind: 'file', bytes: files.bg_image_file }
    : given('bg_image_url')
      ? { kind: 'url', url: bgUrl!.trim() }
      : undefined;
  return { image, background, params };
}

const isMultipart = (req: FastifyRequest) => /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');

export async function readRemoveBgRequest(req: FastifyRequest, maxBytes: number): Promise<RemoveBgRequest> {
  let collected: Collected;
  try {
    collected = isMultipart(req) ? await collectForm(req, maxBytes) : collectObject(req.body ?? {});
  } catch (err) {
    throw malformedForm(err) ?? err;
  }
  return assemble(collected, maxBytes);
}
