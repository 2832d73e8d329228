// decode + orient → model → mask → alpha → PNG. Free of queue and HTTP code: used by the worker,
// the CLI and the benchmark.
import sharp from 'sharp';
import { toMask, toModelInput } from './compose.js';
import type { Box } from './layout.js';
import type { OutputFormat } from './render.js';
import { modelSquareFromFile, toModelSquare } from './scale.js';
import { maskConfidence } from './confidence.js';
import { REFINE_DEFAULTS, refineEdges } from './refine.js';
import { PixelThreads } from './pixel-threads.js';
import { encodeMask, readEditedMask } from './mask-edit.js';
import { renderSpec, type JobOptions } from '../options/options.js';
import { ensureModelFile, resolveModel, type CustomModel, type ResolvedModel } from './models.js';
import { ModelNotLoadedError } from '../errors.js';
import type { SegmentationSession } from './session.js';
import type { ExecutionProvider } from './execution-provider.js';
import type { Stage } from '../vocabulary.js';
import { createThreadedSession } from './threaded-session.js';
import { decode, finishFromMask, LazyFaces, StageClock, type Size, type StageHook } from './stages.js';

export type { StageHook } from './stages.js';

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
  /** Optimise the graph once at load and run the optimised copy (session.ts; default on). */
  optimizeAhead?: boolean;
  /** EXECUTION_PROVIDER: where the model runs (`cpu` when absent). */
  executionProvider?: ExecutionProvider;
  /** INFERENCE_FLOAT16=widen: float16 weights loaded as float32 on the CPU (session.ts; default on). */
  widenHalf?: boolean;
  /** PIXEL_THREADS: threads besides the calling one for the image work around the model (pixel-threads.ts); 0 when absent. */
  pixelThreads?: number;
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
  /** The same for every attempt of one job (its id): an external engine sends it as Idempotency-Key. */
  workKey?: string;
  /** Which loaded model cuts (a name of `models`); the default model when absent. */
  model?: string;
  /**
   * A mask edited by a person (PUT /jobs/{id}/mask, a greyscale PNG at the photo's aspect ratio):
   * it is the alpha, as it is. The model is skipped, and the mask is not refined again: the editor
   * was given the refined mask, and its hard edits must come back exactly. With refine=fast and
   * `mask` (the model's), the edge colours are the ones the model's refined mask gave.
   */
  editedMask?: Buffer;
}

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
  /** The mask a result was made with, at the photo's size (greyscale PNG): from a stored model mask, refined as the options ask. */
  frameMask?(input: Buffer, request: CutoutRequest & { mask: Buffer }): Promise<Buffer>;
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
  ) {
    this.pixels = new PixelThreads(opts.pixelThreads ?? 0);
  }

  /** The threads the image work around the model is shared with. */
  private readonly pixels: PixelThreads;

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
        const session = await createThreadedSession(file, {
          threads: opts.threads,
          cpuArena: opts.cpuArena,
          memPattern: opts.memPattern,
          optimizeAhead: opts.optimizeAhead,
          executionProvider: opts.executionProvider,
          widenHalf: opts.widenHalf,
        });
        loaded.set(model.spec.name, { model, session });
      }
    } catch (err) {
      await Promise.all([...loaded.values()].map((m) => m.session.release()));
      throw err;
    }
    return new CutoutPipeline(loaded, opts);
  }

  /** The pipeline around a session already made (tests run it with a small stand-in for the model). */
  static withSession(model: ResolvedModel, session: SegmentationSession, opts: PipelineOptions): CutoutPipeline {
    return new CutoutPipeline(new Map([[model.spec.name, { model, session }]]), opts);
  }

  get modelName(): string {
    return this.modelNames[0]!;
  }

  get modelNames(): readonly string[] {
    return [...this.loaded.keys()];
  }

  /** The model a request names (the default when none), or a ModelNotLoadedError. */
  private pick(name = this.modelName): LoadedModel {
    const loaded = this.loaded.get(name);
    if (!loaded) throw new ModelNotLoadedError(name, this.modelNames);
    return loaded;
  }

  /** How each model's weights were loaded (session.ts), for the start-up log. */
  get weights(): Record<string, string> {
    return Object.fromEntries([...this.loaded].map(([name, m]) => [name, m.session.weights]));
  }

  /** The default model's description (the first loaded). */
  get model(): ResolvedModel {
    return this.loaded.get(this.modelName)!.model;
  }

  async process(input: Buffer, beforeStage?: StageHook, request: CutoutRequest = {}): Promise<CutoutResult> {
    const loaded = this.pick(request.model);
    const { size, mean, std, output } = loaded.model.spec;
    const spec = renderSpec(request.options ?? {});
    const clock = new StageClock(beforeStage);

    await clock.enter('decoding');
    // A large photo's model square comes straight from its file (shrink-on-load), and its
    // full-size pixels are decoded once the model is done, when compositing starts (while the pixel
    // threads enlarge the mask, stages.ts). Decoding them
    // while the model ran was no faster on 2 cores (the model slowed by as much) and raised the
    // peak memory by 60 MB at 24 MP.
    const early = request.mask || request.editedMask ? null : await modelSquareFromFile(input, size, this.opts.maxPixels);
    const decodedNow = early ? null : await decode(input, this.opts.maxPixels);
    const edited = request.editedMask ? await readEditedMask(request.editedMask, decodedNow!, this.opts.maxPixels) : null;
    // With an edited mask, the model's is only wanted for the edge colours of refine=fast.
    let small = request.mask && (!edited || spec.refine === 'fast') ? await readMask(request.mask, size) : null;
    const maskReused = small !== null && !edited;
    let tensor: Float32Array | null = null;
    if (!small && !edited) {
      // rembg: img.convert("RGB") (alpha dropped, not composited) .resize(size, LANCZOS).
      const rgb = early?.rgb ?? (await toModelSquare(decodedNow!, size, this.pixels));
      tensor = toModelInput(rgb, size, mean, std);
    }

    await clock.enter('inference');
    let maskPng: Promise<Buffer> | undefined;
    if (!small && !edited) {
      small = toMask(await loaded.session.run(tensor!, size), size * size, output);
      // Kept for other options on the same photo; encoded while the rest goes on (a few ms).
      maskPng = sharp(small, { raw: { width: size, height: size, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer();
      maskPng.catch(() => undefined); // awaited below; never an unhandled rejection if rendering fails first
    }

    // No subject at all: the job fails (unknown_foreground) rather than give an empty picture.
    // An edited mask is a person's decision: it is used as it is, without a confidence.
    const confidence = edited ? undefined : maskConfidence(small!, size, size);
    // rembg: Image.fromarray(mask, "L").resize(img.size, LANCZOS) (timed as compositing).
    const model = small;
    const full = model ? (photo: Size) => this.upscale(photo, model, size) : null;
    const photo = decodedNow ?? { width: early!.width, height: early!.height, decode: () => decode(input, this.opts.maxPixels) };
    const out = await finishFromMask(photo, full, spec, request.background, clock, {
      pngCompressionLevel: this.opts.pngCompressionLevel,
      maxPixels: this.opts.maxPixels,
      faces: this.faces,
      boxMeans: this.pixels.boxMeans,
    }, edited ?? undefined);
    const frameMask = edited ? await encodeMask(edited, decodedNow!) : undefined;
    return { ...out, timings: clock.timings, mask: await maskPng, maskReused, confidence, frameMask };
  }

  /** The model's mask at the photo's size: rembg's Image.fromarray(mask, "L").resize(img.size, LANCZOS). */
  private upscale(photo: Size, small: Uint8Array, size: number): Promise<Uint8Array> {
    return this.pixels.resizeLanczos({ data: small, width: size, height: size, channels: 1 }, photo.width, photo.height, 1);
  }

  async frameMask(input: Buffer, request: CutoutRequest & { mask: Buffer }): Promise<Buffer> {
    const decoded = await decode(input, this.opts.maxPixels);
    const { size } = this.pick(request.model).model.spec;
    const small = await readMask(request.mask, size);
    if (!small) throw new Error('the stored model mask does not fit this model');
    const mask = await this.upscale(decoded, small, size);
    if (renderSpec(request.options ?? {}).refine === 'fast') await refineEdges(decoded.rgba, mask, decoded.width, decoded.height, REFINE_DEFAULTS, this.pixels.boxMeans);
    return encodeMask(mask, decoded);
  }

  /** The face detector, loaded on the first face crop only. */
  private readonly faces = new LazyFaces();

  async release(): Promise<void> {
    await Promise.all([...[...this.loaded.values()].map((m) => m.session.release()), this.faces.release(), this.pixels.release()]);
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
