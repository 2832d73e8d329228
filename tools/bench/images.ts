// The bench's photos: the shared real images, and 24 MP / 1 MP versions of them made at run time
// in the bench's temporary directory (never committed). Generated stand-ins without the fixtures.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { say } from './common.js';
import { ECSSD_DIR, haveFixtures, REMBG_DIR } from './fixtures.js';

/** The photos most parts use: the rembg fixtures (and 4 ECSSD photos in a full run). */
export async function benchImages(tmp: string, quick: boolean): Promise<string[]> {
  if (haveFixtures()) {
    const ecssd = fs.readdirSync(path.join(ECSSD_DIR, 'images')).sort().slice(0, quick ? 0 : 4).map((f) => path.join(ECSSD_DIR, 'images', f));
    return [...rembgPhotos(), ...ecssd];
  }
  say('(../shared/fixtures not found: using generated images)');
  const images: string[] = [];
  for (let i = 0; i < 4; i++) {
    const f = path.join(tmp, `gen-${i}.jpg`);
    await sharp(generated(800 + i * 100, 600, i)).jpeg().toFile(f);
    images.push(f);
  }
  return images;
}

const rembgPhotos = () =>
  fs.readdirSync(REMBG_DIR).filter((f) => /\.(jpg|png)$/.test(f)).sort().map((f) => path.join(REMBG_DIR, f));

/** A stand-in photo: a subject (a disc and a block) on a gradient, as an SVG. */
function generated(width: number, height: number, i: number): Buffer {
  const r = Math.round(Math.min(width, height) * 0.3);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<defs><linearGradient id="g"><stop offset="0" stop-color="rgb(${40 * i},150,90)"/><stop offset="1" stop-color="#dde"/></linearGradient></defs>` +
      `<rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width / 2}" cy="${height / 2}" r="${r}" fill="#c33"/>` +
      `<rect x="${width / 2 - r / 2}" y="${height / 2}" width="${r}" height="${r * 1.4}" fill="#235"/></svg>`,
  );
}

export interface SizedPhotos {
  /** ~24 MP JPEGs (quality 90), upscaled from the real photos; the second (when there are two) stored rotated with EXIF orientation 6. */
  large: string[];
  /** The same photos at ~1 MP (e.g. 1224×816), made the same way (the same one rotated). */
  small: string[];
  /** Each large photo's size as stored, e.g. "4243x5657 (orientation 6)". */
  largeSizes: string[];
}

/** `count` pairs of large and small photos from the fixtures (or stand-ins), written under `tmp`. */
export async function sizedPhotos(tmp: string, count: number): Promise<SizedPhotos> {
  const sources: Buffer[] = haveFixtures()
    ? rembgPhotos().slice(0, count).map((f) => fs.readFileSync(f))
    : Array.from({ length: count }, (_, i) => generated(1500, 1000, i));
  const out: SizedPhotos = { large: [], small: [], largeSizes: [] };
  for (const [i, src] of sources.entries()) {
    const rotated = i === 1;
    for (const [megapixels, list] of [[24, out.large], [1, out.small]] as const) {
      const file = path.join(tmp, `photo-${i}-${megapixels}mp${rotated ? '-exif6' : ''}.jpg`);
      const size = await upscaled(src, megapixels * 1e6, file, rotated);
      list.push(file);
      if (megapixels === 24) out.largeSizes.push(`${size}${rotated ? ' (orientation 6)' : ''}`);
    }
  }
  return out;
}

/**
 * The photo (upright) resized to about `pixels` pixels, its aspect ratio kept, flattened on white,
 * as a JPEG of quality 90. `rotated`: its pixels are stored turned 90° anticlockwise with EXIF
 * orientation 6, so it shows upright only when the reader applies the orientation.
 */
async function upscaled(src: Buffer, pixels: number, file: string, rotated: boolean): Promise<string> {
  const meta = await sharp(src).metadata();
  const upright = (meta.orientation ?? 1) >= 5 ? { w: meta.height!, h: meta.width! } : { w: meta.width!, h: meta.height! };
  const aspect = upright.w / upright.h;
  const width = Math.round(Math.sqrt(pixels * aspect));
  const height = Math.round(width / aspect);
  const { data, info } = await sharp(src).rotate().flatten({ background: '#ffffff' }).resize(width, height, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  let img = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  if (rotated) img = img.rotate(270).withMetadata({ orientation: 6 });
  await img.jpeg({ quality: 90 }).toFile(file);
  return rotated ? `${height}x${width}` : `${width}x${height}`;
}
