// Small generated images for tests that must not depend on ../shared.
import sharp from 'sharp';

function subjectSvg(w: number, h: number, background: boolean): Buffer {
  const r = Math.round(Math.min(w, h) * 0.3);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#f4f4f0"/><stop offset="1" stop-color="#d8dde4"/></linearGradient></defs>
    ${background ? '<rect width="100%" height="100%" fill="url(#g)"/>' : ''}
    <circle cx="${w / 2}" cy="${h / 2}" r="${r}" fill="#c0392b"/>
    <circle cx="${w / 2 - r / 3}" cy="${h / 2 - r / 3}" r="${r / 4}" fill="#f1c40f"/></svg>`);
}

/** A `w`x`h` picture: a dark disc (the subject) on a light, slightly graded background. */
export async function subjectOnBackground(w = 320, h = 240, format: 'jpeg' | 'png' | 'webp' = 'jpeg'): Promise<Buffer> {
  return sharp(subjectSvg(w, h, true)).toFormat(format).toBuffer();
}

/** The same picture's ideal cutout: the disc on transparent pixels (a PNG). */
export async function subjectCutout(w = 320, h = 240): Promise<Buffer> {
  return sharp(subjectSvg(w, h, false)).png().toBuffer();
}

/** A PNG whose compressed pixel data is damaged (headers intact): it passes upload checks and fails decoding. */
export async function corruptPng(): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png({ compressionLevel: 0 }).toBuffer());
  const idat = png.indexOf('IDAT', 0, 'latin1');
  for (let i = idat + 4; i < idat + 40; i++) png[i] = 0xff;
  return png;
}
