// The editor's requests, through the SDK (source, getMask, putMask): the job's photo and mask,
// drawn at the working size (the longest side capped at MAX_SIDE), and Save: the mask as an
// opaque grey PNG sent with PUT /jobs/{id}/mask, which the api scales to the photo and answers
// once a worker has made the result again.
import { UNREACHABLE } from './api-client.js';
import { MAX_SIDE, type Mask } from './mask-ops.js';
import type { Connection } from '../sdk/connection.js';
import { CutoutNetworkError } from '../sdk/errors.js';
import { getMask, putMask, source } from '../sdk/requests.js';
import type { StatusView } from '../sdk/types.js';

/** A failed request as a sentence for a person. */
export const problem = (err: unknown): string => (err instanceof CutoutNetworkError ? UNREACHABLE : (err as Error).message);

/** A picture of the job (its photo or its mask) as the browser decodes it, EXIF orientation applied. */
async function picture(conn: Connection, jobId: string, get: typeof source): Promise<ImageBitmap> {
  const { blob } = await get(conn, jobId);
  return createImageBitmap(blob, { imageOrientation: 'from-image' }).catch(() => {
    throw new Error('This browser cannot show this photo, so it cannot be edited here.');
  });
}

/** Draws the job's photo on `canvas` at the working size; returns its pixels and the mask. */
export async function loadJob(conn: Connection, jobId: string, canvas: HTMLCanvasElement): Promise<{ src: Uint8ClampedArray; m: Mask }> {
  const [photo, mask] = await Promise.all([picture(conn, jobId, source), picture(conn, jobId, getMask)]);
  const k = Math.min(1, MAX_SIDE / Math.max(photo.width, photo.height));
  const [w, h] = [Math.round(photo.width * k), Math.round(photo.height * k)];
  Object.assign(canvas, { width: w, height: h });
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(photo, 0, 0, w, h);
  const src = ctx.getImageData(0, 0, w, h).data;
  ctx.drawImage(mask, 0, 0, w, h);
  const grey = ctx.getImageData(0, 0, w, h).data;
  photo.close();
  mask.close();
  return { src, m: { w, h, d: new Uint8Array(w * h).map((_, i) => grey[i * 4]!) } };
}

/** Saves the mask; resolves with the job's new status view. */
export async function saveMask(conn: Connection, jobId: string, { w, h, d }: Mask): Promise<StatusView> {
  const c = Object.assign(document.createElement('canvas'), { width: w, height: h });
  const g = c.getContext('2d')!;
  const img = g.createImageData(w, h);
  d.forEach((a, i) => img.data.set([a, a, a, 255], i * 4));
  g.putImageData(img, 0, 0);
  const blob = await new Promise<Blob | null>((r) => c.toBlob(r, 'image/png'));
  return putMask(conn, jobId, blob!);
}
