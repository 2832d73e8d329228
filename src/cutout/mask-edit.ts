// The mask editor's masks: what an edited mask must be (an opaque greyscale PNG with the photo's
// aspect ratio), read at the photo's size; and a mask written as a greyscale PNG. Free of queue
// and HTTP: the api checks the header (cheap), the worker reads the pixels.
import sharp from 'sharp';
import { InvalidMaskError } from '../errors.js';
import { resizeLanczos } from './resample.js';

export interface Frame {
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** True when a w×h mask has the frame's aspect ratio: within 1 %, or within 1 px once scaled. */
export function sameAspect(mask: Frame, frame: Frame): boolean {
  const want = frame.width / frame.height;
  const got = mask.width / mask.height;
  if (Math.abs(got - want) / want <= 0.01) return true;
  return Math.abs(Math.round((mask.width * frame.height) / frame.width) - mask.height) <= 1;
}

/**
 * Checks what the header tells of a mask (no pixels decoded): a whole 8-bit PNG, at most
 * `maxPixels`, with the frame's aspect ratio. Throws InvalidMaskError saying what is wrong.
 */
export async function checkMaskHeader(png: Buffer, frame: Frame, maxPixels: number): Promise<Frame> {
  if (png.length === 0) throw new InvalidMaskError('The mask is empty: send the mask as a PNG body (Content-Type: image/png).');
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new InvalidMaskError('The mask is not a PNG file. Send an 8-bit greyscale PNG.');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(png, { limitInputPixels: false }).metadata();
  } catch {
    throw new InvalidMaskError('The mask PNG is damaged and cannot be read.');
  }
  const { width, height } = meta;
  if (!width || !height) throw new InvalidMaskError('The mask PNG has no readable size.');
  if (width * height > maxPixels) throw new InvalidMaskError(`The mask is ${width}x${height}, more pixels than this service accepts.`);
  if (meta.depth !== 'uchar') throw new InvalidMaskError('The mask must be an 8-bit PNG; this one has 16 bits per channel.');
  if (!sameAspect({ width, height }, frame)) {
    throw new InvalidMaskError(
      `The mask's aspect ratio does not match the photo: the mask is ${width}x${height}, the photo ${frame.width}x${frame.height}. ` +
        'Send it at the photo\'s size, or scaled with the same aspect ratio.',
    );
  }
  return { width, height };
}

/** Grey levels of raw pixels; InvalidMaskError when a pixel has colour or is not fully opaque. */
function greyOf(data: Buffer, channels: number, width: number): Uint8Array {
  const n = data.length / channels;
  if (channels === 1) return new Uint8Array(data.buffer, data.byteOffset, n);
  const grey = new Uint8Array(n);
  const colour = channels >= 3;
  const alpha = channels === 2 || channels === 4 ? channels - 1 : -1;
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    const v = data[p]!;
    if (colour && (data[p + 1] !== v || data[p + 2] !== v)) {
      throw new InvalidMaskError(`The mask has colour (the pixel at x=${i % width}, y=${Math.floor(i / width)} is not grey). A mask is grey levels only: R = G = B everywhere.`);
    }
    if (alpha > 0 && data[p + alpha] !== 255) {
      throw new InvalidMaskError('The mask is not fully opaque: its grey level is the mask, so its alpha channel must be 255 everywhere.');
    }
    grey[i] = v;
  }
  return grey;
}

/**
 * An edited mask at the frame's size: its grey level is the alpha (0 background, 255 subject),
 * scaled with the pipeline's own Lanczos filter when it was sent at another size.
 */
export async function readEditedMask(png: Buffer, frame: Frame, maxPixels: number): Promise<Uint8Array> {
  const size = await checkMaskHeader(png, frame, maxPixels);
  let raw: { data: Buffer; info: sharp.OutputInfo };
  try {
    raw = await sharp(png, { limitInputPixels: maxPixels, failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch {
    throw new InvalidMaskError('The mask PNG is damaged or incomplete and cannot be read.');
  }
  const grey = greyOf(raw.data, raw.info.channels, raw.info.width);
  if (size.width === frame.width && size.height === frame.height) return grey;
  return resizeLanczos({ data: grey, width: size.width, height: size.height, channels: 1 }, frame.width, frame.height, 1);
}

/** A mask as an 8-bit greyscale PNG. */
export function encodeMask(mask: Uint8Array, frame: Frame): Promise<Buffer> {
  return sharp(mask, { raw: { width: frame.width, height: frame.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
}
