// Recognising and checking uploaded images by their content, cheaply: magic bytes, structure and
// header only. Full decoding happens in the worker.
import sharp from 'sharp';
import { ImageTooLargeError, InvalidImageError, UnsupportedImageError } from '../errors.js';
import { UNSUPPORTED_IMAGE_TEXT, type InputFormat } from '../vocabulary.js';

type ImageFormat = InputFormat;

const ascii = (buf: Buffer, start: number, end: number) => buf.toString('latin1', start, end);

/** The format the bytes are, by signature, or null. Extension and client MIME type are ignored. */
export function sniffFormat(buf: Buffer): ImageFormat | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])))
    return 'png';
  if (buf.length >= 12 && ascii(buf, 0, 4) === 'RIFF' && ascii(buf, 8, 12) === 'WEBP') return 'webp';
  if (buf.length >= 6 && (ascii(buf, 0, 6) === 'GIF87a' || ascii(buf, 0, 6) === 'GIF89a')) return 'gif';
  if (buf.length >= 12 && ascii(buf, 4, 8) === 'ftyp' && /^(avif|avis)$/.test(ascii(buf, 8, 12))) return 'avif';
  if (buf.length >= 4 && (ascii(buf, 0, 4) === 'II*\0' || ascii(buf, 0, 4) === 'MM\0*')) return 'tiff';
  return null;
}

/** A truncated file is the commonest broken upload; these checks catch it without decoding. */
function checkComplete(buf: Buffer, format: ImageFormat): void {
  if (format === 'jpeg') {
    // Entropy-coded data cannot contain FF D9 (it is byte-stuffed), so a complete JPEG has its
    // end-of-image marker after the start of its last scan. An EXIF thumbnail's EOI comes earlier.
    const lastScan = buf.lastIndexOf(Buffer.from([0xff, 0xda]));
    const lastEnd = buf.lastIndexOf(Buffer.from([0xff, 0xd9]));
    if (lastScan < 0 || lastEnd < lastScan) {
      throw new InvalidImageError('The JPEG file is incomplete (it looks truncated). Please upload the whole file.', 'truncated_image');
    }
  } else if (format === 'png') {
    if (buf.lastIndexOf(Buffer.from('IEND', 'latin1')) < 0) {
      throw new InvalidImageError('The PNG file is incomplete (it looks truncated). Please upload the whole file.', 'truncated_image');
    }
  }
}

export interface ImageInfo {
  format: ImageFormat;
  /** Size after EXIF orientation, i.e. the size of the result. */
  width: number;
  height: number;
  hasAlpha: boolean;
}

/**
 * Checks uploaded bytes are a supported, complete image within the pixel limit, reading only
 * headers. Throws a 4xx AppError with a message a person can act on.
 */
export async function inspectImage(buf: Buffer, maxPixels: number): Promise<ImageInfo> {
  if (buf.length === 0) throw new InvalidImageError('The file is empty.', 'empty_file');
  const format = sniffFormat(buf);
  if (!format) {
    throw new UnsupportedImageError(UNSUPPORTED_IMAGE_TEXT);
  }
  checkComplete(buf, format);
  let meta: sharp.Metadata;
  try {
    meta = await sharp(buf, { limitInputPixels: false }).metadata();
  } catch {
    throw new InvalidImageError(`The ${format.toUpperCase()} file is damaged and cannot be read.`);
  }
  const { width, height } = meta;
  if (!width || !height) throw new InvalidImageError(`The ${format.toUpperCase()} file has no readable size.`);
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new ImageTooLargeError(
      `The image is ${width}x${height} (${(pixels / 1e6).toFixed(1)} megapixels); the limit is ${(maxPixels / 1e6).toFixed(1)} megapixels. Please resize it and try again.`,
    );
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    format,
    width: rotated ? height : width,
    height: rotated ? width : height,
    hasAlpha: meta.hasAlpha ?? false,
  };
}
