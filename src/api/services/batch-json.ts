// POST /batches with a JSON body: `{"image_urls": [...], "callback_url"?: "...", ...options}`.
// Each URL is downloaded like image_url on /remove-bg (SSRF-safe, the upload size cap, sniffed);
// a URL that cannot be used becomes an item with its reason, and the rest of the batch goes on.
// The downloads together are held to MAX_BATCH_BYTES, as an uploaded batch is.
import type { Config } from '../../config.js';
import { CutoutError } from '../../errors.js';
import { formatBytes } from '../../format.js';
import { FILE_OPTIONS, isOptionName } from '../../options/options.js';
import { badRequest, HttpError } from '../http-errors.js';
import { mapLimit } from '../../jobs/batch-view.js';
import { fetchImageUrl, filenameOfUrl, type FetchedImage, type ImageUrlConfig } from './image-url.js';
import { unknownField } from './upload.js';
import { itemError, tooManyItems, type BatchSource } from './zip-input.js';

export interface BatchJson {
  urls: string[];
  /** Option fields, as text. */
  fields: Record<string, string>;
  callbackUrl?: string;
}

/** The largest JSON body POST /batches reads: MAX_BATCH_ITEMS long signed URLs fit. */
export const BATCH_JSON_LIMIT = 4 * 1024 * 1024;
/** Downloads at once for one batch. */
const FETCHES_AT_ONCE = 8;

const malformed = () =>
  badRequest('The JSON body must be an object such as {"image_urls": ["https://example.com/a.jpg", "https://example.com/b.jpg"], "format": "webp"}.', 'malformed_body');

export function readBatchJson(body: unknown, config: Pick<Config, 'MAX_BATCH_ITEMS'>): BatchJson {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw malformed();
  const out: BatchJson = { urls: [], fields: {} };
  for (const [name, value] of Object.entries(body)) {
    if (name === 'image_urls') {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        throw badRequest('image_urls must be a list of strings: the http or https addresses of the images.', 'invalid_image_url');
      }
      out.urls = value as string[];
    } else if (name === 'callback_url') {
      if (typeof value !== 'string') throw badRequest('The callback_url must be a string: the http or https address to POST to.', 'invalid_callback_url');
      out.callbackUrl = value;
    } else {
      if (!isOptionName(name) || FILE_OPTIONS.includes(name)) throw unknownField(name);
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw badRequest(`The option "${name}" must be a string, a number or true/false.`, `invalid_${name}`);
      out.fields[name] = String(value);
    }
  }
  if (out.urls.length === 0) throw badRequest('No image was given: send "image_urls", a list of image addresses (or a multipart form with files).', 'missing_source');
  if (out.urls.length > config.MAX_BATCH_ITEMS) throw tooManyItems(config.MAX_BATCH_ITEMS);
  return out;
}

export const urlsTooLarge = (maxBytes: number) =>
  new HttpError(
    413,
    'batch_too_large',
    `The images at image_urls add up to more than the ${formatBytes(maxBytes)} limit (MAX_BATCH_BYTES) once downloaded. Split the list into several batches.`,
  );

/**
 * Downloads every URL, a few at a time; each ends as image bytes or as an item with its reason.
 * Once the downloaded bytes pass MAX_BATCH_BYTES no further download starts, and the batch is a
 * 413 (those already under way are at most FETCHES_AT_ONCE × MAX_UPLOAD_BYTES more).
 */
export function fetchBatchUrls(config: ImageUrlConfig & Pick<Config, 'MAX_BATCH_BYTES'>, urls: string[]): Promise<BatchSource[]> {
  let total = 0;
  let over = false;
  return mapLimit(urls, FETCHES_AT_ONCE, async (url): Promise<BatchSource> => {
    if (over) return itemError(filenameOfUrl(url), 'batch_too_large', 'Not downloaded: the batch was already over its size limit.');
    let image: FetchedImage;
    try {
      image = await fetchImageUrl(config, url);
    } catch (err) {
      if (err instanceof HttpError || err instanceof CutoutError) return itemError(filenameOfUrl(url), err.code, err.message);
      throw err;
    }
    total += image.bytes.length;
    if (total > config.MAX_BATCH_BYTES) {
      over = true;
      throw urlsTooLarge(config.MAX_BATCH_BYTES);
    }
    return image;
  });
}
