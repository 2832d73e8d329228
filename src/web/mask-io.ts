// The editor's requests: the job's photo and mask, drawn at the working size (the longest side
// capped at MAX_SIDE), and Save: the mask as an opaque grey PNG sent with PUT /jobs/{id}/mask,
// which the api scales to the photo and answers once a worker has made the result again.
import { UNREACHABLE } from './api-client.js';
import { withKey, type JobEvent } from './follow.js';
import { MAX_SIDE, type Mask } from './mask-ops.js';

/** A failed request as a sentence for a person. */
export const problem = (err: unknown): string => (err instanceof TypeError ? UNREACHABLE : (err as Error).message);

async function answer(res: Response): Promise<Response> {
  if (res.ok) return res;
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  throw new Error(body.error?.message ?? `The server answered ${res.status}. Please retry.`);
}

/** A picture of the job (`source` or `mask`) as the browser decodes it, EXIF orientation applied. */
async function picture(jobId: string, apiKey: string, what: string): Promise<ImageBitmap> {
  const res = await answer(await fetch(withKey(`/jobs/${jobId}/${what}`, apiKey)));
  return createImageBitmap(await res.blob(), { imageOrientation: 'from-image' }).catch(() => {
    throw new Error('This browser cannot show this photo, so it cannot be edited here.');
  });
}

/** Draws the job's photo on `canvas` at the working size; returns its pixels and the mask. */
export async function loadJob(jobId: string, apiKey: string, canvas: HTMLCanvasElement): Promise<{ src: Uint8ClampedArray; m: Mask }> {
  const [photo, mask] = await Promise.all([picture(jobId, apiKey, 'source'), picture(jobId, apiKey, 'mask')]);
  const k = Math.min(1, MAX_SIDE / Math.max(photo.width, photo.height));
  const [w, h] = [Math.round(photo.width * k), Math.round(photo.height * k)];
  Object.assign(canvas, { width: w, height: h });
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(photo, 0, 0, w, h);
  const src = ctx.getImageData(0, 0, w, h).data;
  ctx.drawImage(mask, 0, 0, w, h);
  const grey = ctx.getImageData(0, 0, w, h).data;
  return { src, m: { w, h, d: new Uint8Array(w * h).map((_, i) => grey[i * 4]!) } };
}

/** Saves the mask; resolves with the job's new status view. */
export async function saveMask(jobId: string, apiKey: string, { w, h, d }: Mask): Promise<JobEvent> {
  const c = Object.assign(document.createElement('canvas'), { width: w, height: h });
  const g = c.getContext('2d')!;
  const img = g.createImageData(w, h);
  d.forEach((a, i) => img.data.set([a, a, a, 255], i * 4));
  g.putImageData(img, 0, 0);
  const blob = await new Promise<Blob | null>((r) => c.toBlob(r, 'image/png'));
  const res = await fetch(withKey(`/jobs/${jobId}/mask`, apiKey), { method: 'PUT', headers: { 'content-type': 'image/png' }, body: blob });
  return (await answer(res)).json() as Promise<JobEvent>;
}
