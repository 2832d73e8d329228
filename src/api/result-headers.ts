// How a result is described to the client, whether the api streams it or a presigned URL serves it.
import type { StatusView } from '../jobs/contract.js';
import { OUTPUT_MIME, resultName } from '../vocabulary.js';

/**
 * A result changes when a mask edit is saved (a new `result_version`, the same URL): browsers may
 * keep it, but ask again each time; the ETag makes an unchanged one a 304 without a body.
 */
export const RESULT_CACHE_CONTROL = 'private, no-cache';

/** The ETag of a done job's result: its id and result version. */
export const resultEtag = (view: StatusView) => `"${view.job_id}-v${view.result_version ?? 1}"`;

/** True when the request's If-None-Match names this ETag (or `*`): the client's copy is current. */
export function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const tags = [ifNoneMatch].flat().join(',').split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}

/** Content-Disposition with an ASCII name and the UTF-8 one. */
export const disposition = (name: string) =>
  `inline; filename="${name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/** The Content-Type and Content-Disposition of a done job's result. */
export function resultType(view: StatusView): { contentType: string; contentDisposition: string } {
  const format = view.result?.format ?? 'png';
  return { contentType: OUTPUT_MIME[format], contentDisposition: disposition(resultName(view.filename, format)) };
}
