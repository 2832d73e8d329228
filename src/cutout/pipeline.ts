// decode + orient → model → mask → alpha → PNG. Free of queue and HTTP code: used by the worker,
// the CLI and the benchmark.
import sharp from 'sharp';
import { InvalidImageError } from '../errors.js';
import { applyMask, toMask, toModelInput } from './compose.js';
import type { FaceDetector } from './face.js';
import type { Box } from './layout.js';
import { render, type OutputFormat } from './render.js';
import { resizeLanczos } from './resample.js';
import { maskConfidence } from './confidence.js';
import { refineEdges } from './refine.js';
import { encodeMask, readEditedMask } from './mask-edit.js';
import { renderSpec, type JobOptions } from '../options/options.js';
import { ensureModelFile, resolveModel, type ResolvedModel } from './models.js';
import type { SegmentationSession } from './session.js';
import { UNSUPPORTED_IMAGE_TEXT, type Stage } from '../vocabulary.js';
import { createThreadedSession } from './threaded-session.js';


export interface PipelineOptions {
  model: string;
  modelDir: string;
  customModel?: { path: string; sha256: string };
  threads: number;
  maxPixels: number;
  pngCompressionLevel: number;
  cpuArena?: boolean;
  memPattern?: boolean;
}

export interface CutoutResult {
  /** The result file, in `format`. */
  bytes: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
  /** The subject's box in the result's pixels. */
  foreground: Box;
  /** Milliseconds spent in each stage. */
  timings: Record<Stage, number>;
  /** The model's mask (a greyscale PNG at the model's size): stored, so other options can reuse it. */
  mask?: Buffer;
  /** True when a stored mask was used and the model did not run. */
  maskReused: boolean;
  /** With an edited mask: the mask used, at the photo's size (a greyscale PNG), for the editor to fetch again. */
  frameMask?: Buffer;
  /** How clean the mask looks, 0..1 (confidence.ts); absent from stand-ins. */
  confidence?: number;
}

/** What a job asks for besides the photo. */
export interface CutoutRequest {
  /** Normalised options (defaults for any left out). */
  options?: JobOptions;
  /** The background image's bytes, for bg_image. */
  background?: Buffer;
  /** A mask this pipeline made earlier for the same photo (CutoutResult.mask): the model is skipped. */
  mask?: Buffer;
  /**
   * A mask edited by a person (PUT /jobs/{id}/mask, a greyscale PNG at the photo's aspect ratio):
   * it is the alpha, as it is. The model is skipped, and the mask is not refined again: the editor
   * was given the refined mask, and its hard edits must come back exactly. With refine=fast and
   * `mask` (the model's), the edge colours are the ones the model's refined mask gave.
   */
  editedMask?: Buffer;
}

/** Called before each stage starts; it may throw to stop the work at that boundary. */
export type StageHook = (stage: Stage) => void | Promise<void>;

/**
 * What cuts the subject out of an image: the real pipeline, or a stand-in in tests (no model).
 * It calls `beforeStage` before each stage, in STAGES order.
 */
export interface Cutter {
  readonly modelName: string;
  process(input: Buffer, beforeStage?: StageHook, request?: CutoutRequest): Promise<CutoutResult>;
  /** The mask a result was made with, at the photo's size (greyscale PNG): from a stored model mask, refined as the options ask. */
  frameMask?(input: Buffer, request: CutoutRequest & { mask: Buffer }): Promise<Buffer>;
  /** Frees what it holds (the model's session); absent when it holds nothing. */
  release?(): Promise<void>;
}

export class CutoutPipeline implements Cutter {
  private constructor(
    readonly model: ResolvedModel,
    private readonly session: SegmentationSession,
    private readonly opts: PipelineOptions,
  ) {}

  static async create(opts: PipelineOptions): Promise<CutoutPipeline> {
    // sharp keeps its own thread pool; one libvips thread per core is plenty next to onnxruntime.
    sharp.concurrency(Math.max(1, Math.min(4, sharp.concurrency())));
    const model = resolveModel(opts.model, opts.customModel);
    const file = await ensureModelFile(model, opts.modelDir);
    const session = await createThreadedSession(file, {
      threads: opts.threads,
      cpuArena: opts.cpuArena,
      memPattern: opts.memPattern,
    });
    return new CutoutPipeline(model, session, opts);
  }

  /** A pipeline on a session made elsewhere (tests: a synthetic session, no model file). */
  static withSession(opts: PipelineOptions, session: SegmentationSession): CutoutPipeline {
    return new CutoutPipeline(resolveModel(opts.model, opts.customModel), session, opts);
  }

  get modelName(): string {
    return this.model.spec.name;
  }

  async process(input: Buffer, beforeStage?: StageHook, request: CutoutRequest = {}): Promise<CutoutResult> {
    const { size, mean, std } = this.model.spec;
    const spec = renderSpec(request.options ?? {});
    const timings = { decoding: 0, inference: 0, compositing: 0, encoding: 0 } as Record<Stage, number>;
    let stage: Stage = 'decoding';
    let t0 = performance.now();
    const enter = async (next: Stage) => {
      const now = performance.now();
      timings[stage] += now - t0;
      await beforeStage?.(next);
      stage = next;
      t0 = performance.now();
    };

    await beforeStage?.('decoding');
    const decoded = await decode(input, this.opts.maxPixels);
    const { width, height } = decoded;
    const edited = request.editedMask ? await readEditedMask(request.editedMask, decoded, this.opts.maxPixels) : null;
    // With an edited mask, the model's is only wanted for the edge colours of refine=fast.
    let small = request.mask && (!edited || spec.refine === 'fast') ? await readMask(request.mask, size) : null;
    const maskReused = small !== null && !edited;
    let tensor: Float32Array | null = null;
    if (!small && !edited) {
      // rembg: img.convert("RGB") (alpha dropped, not composited) .resize(size, LANCZOS).
      const rgb = resizeLanczos({ data: decoded.rgba, width, height, channels: 4 }, size, size, 3);
      tensor = toModelInput(rgb, size, mean, std);
    }

    await enter('inference');
    let maskPng: Promise<Buffer> | undefined;
    if (!small && !edited) {
      small = toMask(await this.session.run(tensor!, size), size * size);
      // Kept for other options on the same photo; encoded while the rest goes on (a few ms).
      maskPng = sharp(small, { raw: { width: size, height: size, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer();
      maskPng.catch(() => undefined); // awaited below; never an unhandled rejection if rendering fails first
    }

    // No subject at all: the job fails (unknown_foreground) rather than give an empty picture.
    // An edited mask is a person's decision: it is used as it is, without a confidence.
    const confidence = edited ? undefined : maskConfidence(small!, size, size);

    await enter('compositing');
    // refine=fast gives edge pixels the subject's colour, from the model's mask even under an edited
    // one, so that every pixel the edit left alone is exactly as it was; the edited mask is the alpha.
    const modelMask = small ? this.toFrame(decoded, small, spec.refine === 'fast') : null;
    const mask = edited ?? modelMask!;
    const frameMask = edited ? encodeMask(edited, decoded) : undefined;
    frameMask?.catch(() => undefined);
    const rgba = applyMask(decoded.rgba, mask, decoded.hasAlpha);

    await enter('encoding');
    const out = await render(
      {
        rgba,
        width,
        height,
        background: request.background,
        findFaces: (rgb, w, h) => this.faces().then((d) => d.detect(rgb, w, h)),
        pngCompressionLevel: this.opts.pngCompressionLevel,
        maxPixels: this.opts.maxPixels,
      },
      spec,
    );
    timings.encoding += performance.now() - t0;
    return { ...out, timings, mask: await maskPng, maskReused, confidence, frameMask: await frameMask };
  }

  /** The model's mask at the photo's size: rembg: Image.fromarray(mask, "L").resize(img.size, LANCZOS); then refined if asked. */
  private toFrame(decoded: Decoded, small: Uint8Array, refine: boolean): Uint8Array {
    const { size } = this.model.spec;
    const mask = resizeLanczos({ data: small, width: size, height: size, channels: 1 }, decoded.width, decoded.height, 1);
    if (refine) refineEdges(decoded.rgba, mask, decoded.width, decoded.height);
    return mask;
  }

  async frameMask(input: Buffer, request: CutoutRequest & { mask: Buffer }): Promise<Buffer> {
    const decoded = await decode(input, this.opts.maxPixels);
    const small = await readMask(request.mask, this.model.spec.size);
    if (!small) throw new Error('the stored model mask does not fit this model');
    const spec = renderSpec(request.options ?? {});
    return encodeMask(this.toFrame(decoded, small, spec.refine === 'fast'), decoded);
  }

  /** The face detector, loaded on the first face crop only (it costs memory and a second). */
  private faceDetector?: Promise<FaceDetector>;
  private faces(): Promise<FaceDetector> {
    this.faceDetector ??= import('./face.js').then((m) => m.createFaceDetector());
    this.faceDetector.catch(() => (this.faceDetector = undefined));
    return this.faceDetector;
  }

  async release(): Promise<void> {
    const faces = this.faceDetector;
    this.faceDetector = undefined;
    await Promise.all([this.session.release(), faces?.then((d) => d.release(), () => undefined)]);
  }
}

/** A stored model mask, or null when it is not one (another model's size, damaged): then the model runs. */
async function readMask(png: Buffer, size: number): Promise<Uint8Array | null> {
  try {
    const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    return info.width === size && info.height === size ? data : null;
  } catch {
    return null;
  }
}

interface Decoded {
  rgba: Uint8Array;
  width: number;
  height: number;
  hasAlpha: boolean;
}

/** First frame, EXIF-oriented, sRGB, 8 bits, RGBA. Bad bytes become an InvalidImageError. */
async function decode(input: Buffer, maxPixels: number): Promise<Decoded> {
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

function describeDecodeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(text)) return 'The image has more pixels than this service accepts. Please resize it and try again.';
  if (/unsupported image format/i.test(text)) return UNSUPPORTED_IMAGE_TEXT;
  if (/premature|truncat|end of (file|stream|data)|unexpected end/i.test(text))
    return 'The image file is incomplete (it looks truncated). Please upload the whole file.';
  if (/crc|checksum/i.test(text)) return 'The PNG file is damaged (a checksum does not match). Please export it again.';
  return 'The image could not be decoded: the file is damaged or not a real image.';
}
