// image_url: the bytes of an image a client names by URL, fetched SSRF-safely (src/net) and checked
// like an upload. Used by POST /remove-bg and by batches (image_urls).
import type { Config } from '../../config.js';
import { inspectImage } from '../../cutout/image.js';
import { InvalidImageError, UnsupportedImageError } from '../../errors.js';
import { formatBytes } from '../../format.js';
import { parseAllowList, type AllowList } from '../../net/allow-list.js';
import { FetchFailedError, UrlRefusedError, safeFetch, type Resolver, type SafeResponse } from '../../net/safe-fetch.js';
import { INPUT_FORMATS_TEXT } from '../../vocabulary.js';
import { HttpError, badRequest } from '../http-errors.js';
import { cleanFilename } from './upload.js';

export type ImageUrlConfig = Pick<Config, 'URL_FETCH_ALLOW_HOSTS' | 'URL_FETCH_TIMEOUT_SECONDS' | 'MAX_UPLOAD_BYTES' | 'MAX_IMAGE_PIXELS'>;

export interface FetchedImage {
  bytes: Buffer;
  /** The URL's last path segment, cleaned (cleanFilename), or "image". */
  filename: string;
}

const allowLists = new WeakMap<object, AllowList>();

/** URL_FETCH_ALLOW_HOSTS, parsed once per configuration (the config has checked every entry). */
export function allowListOf(config: Pick<Config, 'URL_FETCH_ALLOW_HOSTS'>): AllowList {
  let list = allowLists.get(config);
  if (!list) allowLists.set(config, (list = parseAllowList(config.URL_FETCH_ALLOW_HOSTS)));
  return list;
}

/** 400 invalid_image_url: the URL cannot be used (malformed, another scheme, a refused address). */
export const invalidImageUrl = (reason: string) =>
  badRequest(`The image_url cannot be used: ${reason}. Give a public http or https address of an image.`, 'invalid_image_url');

/** 422 failed_image_download: the address was allowed, but no usable image came back. */
export const failedImageDownload = (reason: string) =>
  new HttpError(422, 'failed_image_download', `The image at image_url could not be downloaded: ${reason}. Check that the address serves the image itself.`);

/** The file name a download of this URL gets: its last path segment. */
export function filenameOfUrl(url: string): string {
  let segment = '';
  try {
    segment = new URL(url).pathname.split('/').pop() ?? '';
    segment = decodeURIComponent(segment);
  } catch {
    // a malformed %-escape: the raw segment is still a name
  }
  return cleanFilename(segment);
}

/**
 * Downloads the image at `url` (MAX_UPLOAD_BYTES at most, URL_FETCH_TIMEOUT_SECONDS for all of
 * it) and checks the bytes are an image this service reads. Throws 400 invalid_image_url, 422
 * failed_image_download or, for an image with too many pixels, the upload's 413 image_too_large.
 */
export async function fetchImageUrl(config: ImageUrlConfig, url: string, opts: { resolver?: Resolver } = {}): Promise<FetchedImage> {
  const res = await download(config, url, opts.resolver);
  try {
    await inspectImage(res.body, config.MAX_IMAGE_PIXELS);
  } catch (err) {
    if (err instanceof UnsupportedImageError) {
      const type = String(res.headers['content-type'] ?? 'no content type').split(';')[0]!.slice(0, 60);
      throw failedImageDownload(`the server sent something that is not an image (${type}); a ${INPUT_FORMATS_TEXT} file is expected`);
    }
    if (err instanceof InvalidImageError) throw failedImageDownload(`the image is not usable: ${err.message.replace(/\.$/, '')}`);
    throw err; // too many pixels: the upload's own 413
  }
  return { bytes: res.body, filename: filenameOfUrl(url) };
}

async function download(config: ImageUrlConfig, url: string, resolver: Resolver | undefined): Promise<SafeResponse> {
  try {
    return await safeFetch(url, {
      maxBytes: config.MAX_UPLOAD_BYTES,
      timeoutMs: config.URL_FETCH_TIMEOUT_SECONDS * 1000,
      allow: allowListOf(config),
      resolver,
      headers: { accept: 'image/*' },
    });
  } catch (err) {
    if (err instanceof UrlRefusedError) throw invalidImageUrl(err.reason);
    if (err instanceof FetchFailedError && err.kind === 'too_large') {
      throw failedImageDownload(`the file is larger than the ${formatBytes(config.MAX_UPLOAD_BYTES)} upload limit`);
    }
    if (err instanceof FetchFailedError) throw failedImageDownload(err.reason);
    throw err;
  }
}
