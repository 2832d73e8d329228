// decode + orient → model → mask → alpha → PNG. Free of queue and HTTP code: used by the worker,
// the CLI and the benchmark.
import sharp from 'sharp';
import { InvalidImageError, ModelNotLoadedError } from '../errors.js';
import { applyMask, toMask, toModelInput } from './compose.js';
import type { FaceDetector } from './face.js';
import type { Box } from './layout.js';
import { render, type OutputFormat } from './render.js';
import { resizeLanczos } from './resample.js';
import { maskConfidence } from './confidence.js';
import { refineEdges } from './refine.js';
import { renderSpec, type JobOptions } from '../options/options.js';
import { ensureModelFile, resolveModel, type CustomModel, type ResolvedModel } from './models.js';
import type { SegmentationSession } from './session.js';
import { UNSUPPORTED_IMAGE_TEXT, type Stage } from '../vocabulary.js';
import { createThreadedSession } from './threaded-session.js';


export interface PipelineOptions {
  /**
   * The models to load, the first the default: catalogue names (or `custom`), or models described
   * in full (a family's spec and a file with its checksum: tools and tests).
   */
  models: readonly (string | ResolvedModel)[];
  modelDir: string;
  customModel?: CustomModel;
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
  /** Which loaded model cuts (a name of `models`); the default model when absent. */
  model?: string;
}

/** Called before each stage starts; it may throw to stop the work at that boundary. */
export type StageHook = (stage: Stage) => void | Promise<void>;

/**
 * What cuts the subject out of an image: the real pipeline, or a stand-in in tests (no model).
 * It calls `beforeStage` before each stage, in STAGES order.
 */
export interface Cutter {
  /** The default model's name (the first loaded). */
  readonly modelName: string;
  /** Every model it can cut with. */
  readonly modelNames?: readonly string[];
  process(input: Buffer, beforeStage?: StageHook, request?: CutoutRequest): Promise<CutoutResult>;
  /** Frees what it holds (the model's session); absent when it holds nothing. */
  release?(): Promise<void>;
}

interface LoadedModel {
  model: ResolvedModel;
  session: SegmentationSession;
}

export class CutoutPipeline implements Cutter {
  private constructor(
    private readonly loaded: ReadonlyMap<string, LoadedModel>,
    private readonly opts: PipelineOptions,
  ) {}

  /**
   * Loads every model of `opts.models`, each checked against its checksum, each in its own
   * inference thread. A model that cannot be loaded stops it (the others are released).
   */
  static async create(opts: PipelineOptions): Promise<CutoutPipeline> {
    if (opts.models.length === 0) throw new Error('no model to load');
    // sharp keeps its own thread pool; one libvips thread per core is plenty next to onnxruntime.
    sharp.concurrency(Math.max(1, Math.min(4, sharp.concurrency())));
    const loaded = new Map<string, LoadedModel>();
    try {
      for (const wanted of opts.models) {
        const model = typeof wanted === 'string' ? resolveModel(wanted, opts.customModel) : wanted;
        const file = await ensureModelFile(model, opts.modelDir);
        const session = await createThreadedSession(file, { threads: opts.threads, cpuArena: opts.cpuArena, memPattern: opts.memPattern });
        loaded.set(model.spec.name, { model, session });
      }
    } catch (err) {
      await Promise.all([...loaded.values()].map((m) => m.session.release()));
      throw err;
    }
    return new CutoutPipeline(loaded, opts);
  }

  get modelName(): string {
    return this.modelNames[0]!;
  }

  get modelNames(): readonly string[] {
    return [...this.loaded.keys()];
  }

  /** The default model's description (the first loaded). */
  get model(): ResolvedModel {
    return this.loaded.get(this.modelName)!.model;
  }

  async process(input: Buffer, beforeStage?: StageHook, request: CutoutRequest = {}): Promise<CutoutResult> {
    const name = request.model ?? this.modelName;
    const loaded = this.loaded.get(name);
    if (!loaded) throw new ModelNotLoadedError(name, this.modelNames);
    const { size, mean, std, output } = loaded.model.spec;
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
    let small = request.mask ? await readMask(request.mask, size) : null;
    const maskReused = small !== null;
    let tensor: Float32Array | null = null;
    if (!small) {
      // rembg: img.convert("RGB") (alpha dropped, not composited) .resize(size, LANCZOS).
      const rgb = resizeLanczos({ data: decoded.rgba, width, height, channels: 4 }, size, size, 3);
      tensor = toModelInput(rgb, size, mean, std);
    }

    await enter('inference');
    let maskPng: Promise<Buffer> | undefined;
    if (!small) {
      small = toMask(await loaded.session.run(tensor!, size), size * size, output);
      // Kept for other options on the same photo; encoded while the rest goes on (a few ms).
      maskPng = sharp(small, { raw: { width: size, height: size, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer();
      maskPng.catch(() => undefined); // awaited below; never an unhandled rejection if rendering fails first
    }

    // No subject at all: the job fails (unknown_foreground) rather than give an empty picture.
    const confidence = maskConfidence(small, size, size);

    await enter('compositing');
    // rembg: Image.fromarray(mask, "L").resize(img.size, LANCZOS).
    const mask = resizeLanczos({ data: small, width: size, height: size, channels: 1 }, width, height, 1);
    if (spec.refine === 'fast') refineEdges(decoded.rgba, mask, width, height);
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
    return { ...out, timings, mask: await maskPng, maskReused, confidence };
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
    await Promise.all([...[...this.loaded.values()].map((m) => m.session.release()), faces?.then((d) => d.release(), () => undefined)]);
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
