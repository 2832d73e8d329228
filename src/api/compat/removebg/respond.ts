// A finished job as remove.bg answers it: the image bytes with X-Width, X-Height,
// X-Foreground-Top/Left/Width/Height and X-Credits-Charged (0: nothing is charged here), or with
// `Accept: application/json` {"data": {"result_b64", "foreground_*"}}. format=zip answers
// remove.bg's archive: color.jpg (the photo's colours) and alpha.png (the mask), made from the
// job's PNG. X-Type is never sent: Cutout does not classify the subject.
import sharp from 'sharp';
import yazl from 'yazl';
import { buffer } from 'node:stream/consumers';
import type { Finished } from '../sync-job.js';

export interface RemoveBgAnswer {
  contentType: string;
  headers: Record<string, string>;
  body: Buffer | { data: Record<string, string | number> };
}

const MEDIA: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', webp: 'image/webp' };

/** remove.bg's ZIP: color.jpg (no alpha) and alpha.png (8-bit greyscale), as its clients unpack it. */
export async function removeBgZip(png: Buffer): Promise<Buffer> {
  const color = await sharp(png).removeAlpha().jpeg({ quality: 95 }).toBuffer();
  const alpha = await sharp(png).ensureAlpha().extractChannel('alpha').png().toBuffer();
  const zip = new yazl.ZipFile();
  zip.addBuffer(color, 'color.jpg');
  zip.addBuffer(alpha, 'alpha.png');
  zip.end();
  return buffer(zip.outputStream);
}

export async function removeBgAnswer(finished: Finished, opts: { zip: boolean; json: boolean; ignored: string[] }): Promise<RemoveBgAnswer> {
  const { view, bytes } = finished;
  const result = view.result!;
  const fg = result.foreground ?? { left: 0, top: 0, width: result.width, height: result.height };
  const file = opts.zip ? await removeBgZip(bytes) : bytes;
  const headers: Record<string, string> = {
    'x-width': String(result.width),
    'x-height': String(result.height),
    'x-foreground-top': String(fg.top),
    'x-foreground-left': String(fg.left),
    'x-foreground-width': String(fg.width),
    'x-foreground-height': String(fg.height),
    'x-credits-charged': '0',
    'x-job-id': view.job_id,
    ...(opts.ignored.length ? { 'x-cutout-ignored': opts.ignored.join(',') } : {}),
  };
  if (opts.json) {
    const data = { result_b64: file.toString('base64'), foreground_top: fg.top, foreground_left: fg.left, foreground_width: fg.width, foreground_height: fg.height };
    return { contentType: 'application/json; charset=utf-8', headers, body: { data } };
  }
  const contentType = opts.zip ? 'application/zip' : (MEDIA[result.format ?? 'png'] ?? 'application/octet-stream');
  return { contentType, headers, body: file };
}
