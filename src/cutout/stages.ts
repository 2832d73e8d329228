// What every cutter does around its mask, whatever makes the mask (the model here, or an external
// engine): decode the photo, time the stages, and go from a full-size mask to the result file
// (edges, alpha, the job's options, encoding).
import sharp from 'sharp';
import { InvalidImageError } from '../errors.js';
import type { RenderSpec } from '../options/options.js';
import { UNSUPPORTED_IMAGE_TEXT, type Stage } from '../vocabulary.js';
import { applyMask } from './compose.js';
import type { FaceDetector } from './face.js';
import type { BoxMeans } from './guided.js';
import { REFINE_DEFAULTS, refineEdges } from './refine.js';
import { PngWriter } from './png.js';
import { isPlainPng, plainPng, render, type Rendered } from './render.js';

/** Called before each stage starts; it may throw to stop the work at that boundary. */
export type StageHook = (stage: Stage) => void | Promise<void>;

export interface Decoded {
  rgba: Uint8Array;
  width: number;
  height: number;
  hasAlpha: boolean;
}

/** First frame, EXIF-oriented, sRGB, 8 bits, RGBA. Bad bytes become an InvalidImageError. */
export async function decode(input: Buffer, maxPixels: number): Promise<Decoded> {
  try {
    const img = sharp(input, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 });
    const meta = await img.metadata();
    const { data, info } = await img
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 4) throw new Error(`decoded to ${info.channels} channels`);
    return { rgba: data, width: info.width, height: info.height, hasAlpha: meta.hasAlpha ?? false };
  } catch (err) {
    throw new InvalidImageError(describeDecodeError(err));
  }
}

/** A decoding failure in words a person understands. */
export function describeDecodeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(text)) return 'The image has more pixels than this service accepts. Please resize it and try again.';
  if (/unsupported image format/i.test(text)) return UNSUPPORTED_IMAGE_TEXT;
  if (/premature|truncat|end of (file|stream|data)|unexpected end/i.test(text))
    return 'The image file is incomplete (it looks truncated). Please upload the whole file.';
  if (/crc|checksum/i.test(text)) return 'The PNG file is damaged (a checksum does not match). Please export it again.';
  return 'The image could not be decoded: the file is damaged or not a real image.';
}

/** Calls the hook before each stage and adds up the milliseconds spent in each. */
export class StageClock {
  readonly timings: Record<Stage, number> = { decoding: 0, inference: 0, compositing: 0, encoding: 0 };
  private stage: Stage | null = null;
  private t0 = 0;

  constructor(private readonly hook?: StageHook) {}

  async enter(next: Stage): Promise<void> {
    this.stop();
    await this.hook?.(next);
    this.stage = next;
    this.t0 = performance.now();
  }

  /** Ends the current stage's time. */
  stop(): void {
    if (this.stage) this.timings[this.stage] += performance.now() - this.t0;
    this.stage = null;
  }
}

/** The face detector, loaded on the first face crop only (it costs memory and a second). */
export class LazyFaces {
  private detector?: Promise<FaceDetector>;

  private load(): Promise<FaceDetector> {
    this.detector ??= import('./face.js').then((m) => m.createFaceDetector());
    this.detector.catch(() => (this.detector = undefined));
    return this.detector;
  }

  readonly find = (rgb: Uint8Array, width: number, height: number) => this.load().then((d) => d.detect(rgb, width, height));

  async release(): Promise<void> {
    const faces = this.detector;
    this.detector = undefined;
    await faces?.then((d) => d.release(), () => undefined);
  }
}

export interface FinishSettings {
  pngCompressionLevel: number;
  maxPixels: number;
  faces: LazyFaces;
  /** Box means for edge refinement, shared between threads (pixel-threads.ts); on this thread when absent. */
  boxMeans?: BoxMeans;
}

/** A photo's width and height in pixels. */
export interface Size {
  width: number;
  height: number;
}

/** A photo whose size (as it shows, EXIF orientation applied) is known before its pixels are decoded. */
export interface LazyPhoto extends Size {
  decode: () => Promise<Decoded>;
}

/** Makes the full-size mask; it needs only the photo's size. */
export type MakeMask = (size: Size) => Promise<Uint8Array>;

/** From this size on, the plain PNG is written while the pixels are finished (finishFromMask). */
const STREAMED_PNG_PIXELS = 8_000_000;

/**
 * The compositing and encoding stages: given the photo (or what decodes it), the mask (one byte
 * per pixel, at the photo's size; made once compositing has started) becomes the photo's alpha,
 * with the edges refined when the options ask; then the options make the result file. With `edited` (a person's mask at the photo's size),
 * that is the alpha as it is; the model's mask, when there is one, still gives refine=fast's edge
 * colours, so every pixel the edit left alone comes out as it was.
 */
export async function finishFromMask(
  photo: Decoded | LazyPhoto,
  makeMask: MakeMask | null,
  spec: RenderSpec,
  background: Buffer | undefined,
  clock: StageClock,
  settings: FinishSettings,
  edited?: Uint8Array,
): Promise<Rendered> {
  await clock.enter('compositing');
  // A large photo is decoded here (pipeline.ts). Its mask's way up needs only its size, so the pixel
  // threads make it while libvips decodes (24 MP: 182–286 ms for both instead of 210–357 ms in
  // turn, upright; 492–550 instead of 797–1057 ms turned by its EXIF orientation).
  const lazy = 'decode' in photo;
  let mask = lazy && makeMask ? makeMask(photo) : null;
  mask?.catch(() => undefined); // awaited below; never an unhandled rejection if decoding fails first
  const decoded = lazy ? await photo.decode() : photo;
  const { width, height } = decoded;
  if (!mask || photo.width !== width || photo.height !== height) mask = makeMask?.(decoded) ?? null;
  // A large photo's plain PNG is written as its rows are finished: zlib on the pool compresses the
  // top of the photo while this thread refines the bottom (24 MP: compositing and encoding 41–96
  // ms faster, identical files). At 1 MP, with only four slices to compress, it was 5–18 ms
  // slower: there the file is encoded once every row is done.
  const writer = isPlainPng(spec) && width * height >= STREAMED_PNG_PIXELS ? new PngWriter(decoded.rgba, width, height, settings.pngCompressionLevel) : undefined;
  const alphaDone = withAlpha(decoded, mask, spec, settings.boxMeans, edited, writer);
  mask = null; // withAlpha alone holds the full-size mask now
  const rgba = await alphaDone;

  await clock.enter('encoding');
  const out = writer
    ? await plainPng(rgba, width, height, writer)
    : await render(
        { rgba, width, height, background, findFaces: settings.faces.find, pngCompressionLevel: settings.pngCompressionLevel, maxPixels: settings.maxPixels },
        spec,
      );
  clock.stop();
  return out;
}

/**
 * The photo's pixels with the alpha in place (refined as `spec` asks), row by row as the
 * refinement finishes them, each row told to `writer` once final. The full-size mask (24 MB at
 * 24 MP) is referenced only in here, so nothing holds it while the file is finished (the next
 * collection frees it).
 */
async function withAlpha(
  decoded: Decoded,
  made: Promise<Uint8Array> | null,
  spec: RenderSpec,
  boxMeans: BoxMeans | undefined,
  edited: Uint8Array | undefined,
  writer: PngWriter | undefined,
): Promise<Uint8Array> {
  const { rgba, width, height, hasAlpha } = decoded;
  const mask = made ? await made : null;
  const alpha = edited ?? mask;
  if (!alpha) throw new Error('finishFromMask: neither a mask nor an edited mask');
  let done = 0;
  const rowsDone = async (y: number): Promise<void> => {
    applyMask(rgba, alpha, hasAlpha, done * width, y * width);
    done = y;
    await writer?.ready(y);
  };
  if (mask && spec.refine === 'fast') await refineEdges(rgba, mask, width, height, REFINE_DEFAULTS, boxMeans, writer && rowsDone);
  await rowsDone(height); // all of them without a writer or refinement, the rest when it stopped early (no uncertain edge)
  return rgba;
}
