// The form of POST /batches: any number of `file` parts (images, or ZIP archives of images,
// recognised from their bytes), option fields, and at most one background image (bg_image).
// Limits hold for the whole batch: MAX_BATCH_ITEMS items, MAX_BATCH_BYTES read and expanded.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { formatBytes } from '../../format.js';
import { FILE_OPTIONS, isOptionName } from '../../options/options.js';
import { MAX_FORM_FIELDS } from '../errors.js';
import { badRequest, HttpError } from '../http-errors.js';
import { cleanFilename, duplicateOption, malformedForm, unknownField } from './upload.js';
import { batchTooLarge, isZip, itemError, readZip, tooManyItems, type BatchSource, type ZipLimits } from './zip-input.js';

export interface BatchForm {
  sources: BatchSource[];
  /** Option fields, as text. */
  fields: Record<string, string>;
  background?: Buffer;
  /** Where the batch's status is POSTed when every item has ended, as the client wrote it. */
  callbackUrl?: string;
}

type BatchLimits = Pick<Config, 'MAX_BATCH_ITEMS' | 'MAX_BATCH_BYTES' | 'MAX_UPLOAD_BYTES'>;

export const noFiles = () =>
  badRequest('No file was uploaded. Send the images in multipart fields named "file" (one per image), or a ZIP archive of images in one.', 'file_missing');

/** The framework's limit errors, in the batch's words. */
function limitError(err: unknown, limits: BatchLimits): Error | null {
  const code = (err as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') return batchTooLarge(limits.MAX_BATCH_BYTES);
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') return tooManyItems(limits.MAX_BATCH_ITEMS);
  return malformedForm(err);
}

export async function readBatchForm(req: FastifyRequest, limits: BatchLimits): Promise<BatchForm> {
  try {
    return await readParts(req, limits);
  } catch (err) {
    throw limitError(err, limits) ?? err;
  }
}

async function readParts(req: FastifyRequest, limits: BatchLimits): Promise<BatchForm> {
  const zipLimits: ZipLimits = { maxItems: limits.MAX_BATCH_ITEMS, maxEntryBytes: limits.MAX_UPLOAD_BYTES, maxTotalBytes: limits.MAX_BATCH_BYTES };
  const form: BatchForm = { sources: [], fields: {} };
  const used = { items: 0, bytes: 0 };
  let bodyBytes = 0;
  let files = 0;
  const parts = req.parts({
    limits: { fileSize: limits.MAX_BATCH_BYTES, files: limits.MAX_BATCH_ITEMS + 1, parts: limits.MAX_BATCH_ITEMS + MAX_FORM_FIELDS + 1 },
  });
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.fieldname === 'callback_url') {
        if (form.callbackUrl !== undefined) throw duplicateOption('callback_url');
        form.callbackUrl = String(part.value);
        continue;
      }
      if (!isOptionName(part.fieldname) || FILE_OPTIONS.includes(part.fieldname)) throw unknownField(part.fieldname);
      if (part.fieldname in form.fields) throw duplicateOption(part.fieldname);
      form.fields[part.fieldname] = String(part.value);
      continue;
    }
    if (part.fieldname !== 'file' && part.fieldname !== 'bg_image') {
      part.file.resume();
      throw badRequest(`The images must be in fields named "file" (got "${part.fieldname.slice(0, 64)}").`, 'file_missing');
    }
    const bytes = await part.toBuffer();
    bodyBytes += bytes.length;
    if (bodyBytes > limits.MAX_BATCH_BYTES) throw batchTooLarge(limits.MAX_BATCH_BYTES);
    if (part.fieldname === 'bg_image') {
      if (form.background) throw duplicateOption('bg_image');
      if (bytes.length > limits.MAX_UPLOAD_BYTES) throw new HttpError(413, 'file_too_large', `The background image (bg_image) is larger than the ${formatBytes(limits.MAX_UPLOAD_BYTES)} limit.`);
      form.background = bytes;
      continue;
    }
    files++;
    const filename = cleanFilename(part.filename);
    const read = isZip(bytes) ? await readZip({ bytes, filename }, zipLimits, used) : { sources: [plainFile(bytes, filename, limits)], expandedBytes: bytes.length };
    form.sources.push(...read.sources);
    used.items = form.sources.length;
    used.bytes += read.expandedBytes;
    if (used.items > limits.MAX_BATCH_ITEMS) throw tooManyItems(limits.MAX_BATCH_ITEMS);
    if (used.bytes > limits.MAX_BATCH_BYTES) throw batchTooLarge(limits.MAX_BATCH_BYTES);
  }
  if (files === 0) throw noFiles();
  return form;
}

function plainFile(bytes: Buffer, filename: string, limits: BatchLimits): BatchSource {
  if (bytes.length > limits.MAX_UPLOAD_BYTES) {
    return itemError(filename, 'file_too_large', `The file is larger than the ${formatBytes(limits.MAX_UPLOAD_BYTES)} limit for one image.`);
  }
  return { bytes, filename };
}
