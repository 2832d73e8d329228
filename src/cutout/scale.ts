// The photo down to the model's square. Up to LARGE_PHOTO_PIXELS it is Pillow's Lanczos bit for bit
// (resample.ts), as rembg does it. Past it, that JavaScript pass over every pixel costs 660–730 ms
// at 24 MP and 350 ms at 12 MP on 2 cores, where libvips' Lanczos 3 (native, its own threads) takes
// 190 and 100 ms; the final masks then agree with the exact path at alpha IoU 0.998 (24 MP car-1
// and cloth-1, upscaled) and 0.997 (12 MP anime-girl-1). The mask's way back up stays exact at
// every size: libvips was no faster there (509 vs 472 ms at 24 MP).
// A large photo's square is made straight from the file (modelSquareFromFile): libvips decodes a
// JPEG at a fraction of its size (shrink-on-load) for it, so the model can start before the
// full-size pixels exist; the pipeline decodes those once the model is done.
import sharp from 'sharp';
import { resizeLanczos } from './resample.js';
import type { PixelThreads } from './pixel-threads.js';
import { describeDecodeError, type Decoded } from './stages.js';
import { InvalidImageError } from '../errors.js';

/** Above this many pixels (about 8 MP: twice a 2048 × 2048 square), the photo is resized by libvips. */
export const LARGE_PHOTO_PIXELS = 8_400_000;

const isLarge = (width: number, height: number) => width * height > LARGE_PHOTO_PIXELS;

/** The photo's RGB at size × size (rembg: img.convert("RGB").resize((size, size), LANCZOS)). */
export async function toModelSquare(decoded: Decoded, size: number, pixels?: PixelThreads): Promise<Uint8Array> {
  const { rgba, width, height } = decoded;
  if (!isLarge(width, height)) {
    const src = { data: rgba, width, height, channels: 4 };
    return pixels ? pixels.resizeLanczos(src, size, size, 3) : resizeLanczos(src, size, size, 3);
  }
  const out = await sharp(rgba, { raw: { width, height, channels: 4 } })
    .removeAlpha()
    .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** A large photo's model square, and the photo's size as it shows (EXIF orientation applied). */
export interface FileSquare {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/**
 * A large photo's RGB at size × size, straight from its file (EXIF-oriented, sRGB, alpha dropped,
 * libvips' Lanczos 3, JPEG shrink-on-load); null when the photo is not past LARGE_PHOTO_PIXELS
 * (then the exact path needs the decoded pixels). Bad bytes become an InvalidImageError.
 */
export async function modelSquareFromFile(input: Buffer, size: number, maxPixels: number): Promise<FileSquare | null> {
  try {
    const img = sharp(input, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 });
    const { width, height, autoOrient } = await img.metadata();
    if (!width || !height || !isLarge(width, height)) return null;
    const out = await img
      .rotate()
      .toColourspace('srgb')
      .removeAlpha()
      .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
      .raw({ depth: 'uchar' })
      .toBuffer();
    if (out.length !== size * size * 3) throw new Error(`decoded to ${out.length / (size * size)} channels`);
    return { rgb: new Uint8Array(out.buffer, out.byteOffset, out.length), width: autoOrient.width, height: autoOrient.height };
  } catch (err) {
    throw new InvalidImageError(describeDecodeError(err));
  }
}
