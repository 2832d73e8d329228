// Mask quality measures shared by the integration tests and `npm run eval`.
import sharp from 'sharp';

/** The alpha channel of an image file (or a single-channel mask) as one byte per pixel. */
export async function readAlpha(file: string | Buffer): Promise<{ data: Uint8Array; width: number; height: number }> {
  const img = sharp(file);
  const meta = await img.metadata();
  const pipeline = meta.hasAlpha ? img.extractChannel('alpha') : img.toColourspace('b-w').extractChannel(0);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Intersection over union of two masks, each binarised at `threshold` (pixel >= threshold). */
export function maskIoU(a: Uint8Array, b: Uint8Array, threshold = 128): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! >= threshold;
    const y = b[i]! >= threshold;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union === 0 ? 1 : inter / union;
}

/** Mean absolute error of two masks on a 0..1 scale. */
export function maskMAE(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`mask sizes differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return a.length === 0 ? 0 : sum / a.length / 255;
}
