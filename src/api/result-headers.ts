// How a result is described to the client, whether the api streams it or a presigned URL serves it.
import type { StatusView } from '../jobs/contract.js';
import { OUTPUT_MIME, resultName } from '../vocabulary.js';

/** A result never changes once written: browsers and proxies may keep it for an hour. */
export const RESULT_CACHE_CONTROL = 'private, max-age=3600, immutable';

/** Content-Disposition with an ASCII name and the UTF-8 one. */
export const disposition = (name: string) =>
  `inline; filename="${name.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, '')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/** The Content-Type and Content-Disposition of a done job's result. */
export function resultType(view: StatusView): { contentType: string; contentDisposition: string } {
  const format = view.result?.format ?? 'png';
  return { contentType: OUTPUT_MIME[format], contentDisposition: disposition(resultName(view.filename, format)) };
}
