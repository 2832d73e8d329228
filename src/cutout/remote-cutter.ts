// The external engine as a Cutter: the mask comes from a remove.bg-compatible API (the inference
// stage is that call), everything else is Cutout's own (stages.ts), so every option works the same
// whatever the engine. The mask is kept at the photo's size, so other options on the same photo
// reuse it without another call (and another credit).
import sharp from 'sharp';
import { EngineUnavailableError } from '../errors.js';
import { renderSpec } from '../options/options.js';
import type { Cutter, CutoutRequest, CutoutResult } from './pipeline.js';
import type { RemoveBgClient } from './removebg-client.js';
import { encodeMask, readEditedMask } from './mask-edit.js';
import { refineEdges } from './refine.js';
import { decode, finishFromMask, LazyFaces, StageClock, type StageHook } from './stages.js';

export interface RemoteCutterSettings {
  /** The name jobs and metrics show as their model. */
  name: string;
  maxPixels: number;
  pngCompressionLevel: number;
}

export class RemoteCutter implements Cutter {
  private readonly faces = new LazyFaces();

  constructor(
    private readonly client: Pick<RemoveBgClient, 'mask'>,
    private readonly settings: RemoteCutterSettings,
  ) {}

  get modelName(): string {
    return this.settings.name;
  }

  async process(input: Buffer, beforeStage?: StageHook, request: CutoutRequest = {}): Promise<CutoutResult> {
    const spec = renderSpec(request.options ?? {});
    const clock = new StageClock(beforeStage);
    await clock.enter('decoding');
    const decoded = await decode(input, this.settings.maxPixels);
    const { width, height } = decoded;
    // A person's edited mask (the mask editor) is the alpha as it is; the stored mask then only
    // gives refine=fast's edge colours, as in the model's pipeline. No call to the API.
    const edited = request.editedMask ? await readEditedMask(request.editedMask, decoded, this.settings.maxPixels) : null;
    let mask = request.mask && (!edited || spec.refine === 'fast') ? await storedMask(request.mask, width, height) : null;
    const maskReused = mask !== null && !edited;

    await clock.enter('inference');
    let maskPng: Buffer | undefined;
    if (!mask && !edited) {
      mask = await this.maskOf(await this.client.mask(input, request.workKey), width, height);
      maskPng = await sharp(mask, { raw: { width, height, channels: 1 } }).png({ compressionLevel: 6 }).toBuffer();
    }
    const found = mask;
    const out = await finishFromMask(decoded, found ? async () => found : null, spec, request.background, clock, {
      pngCompressionLevel: this.settings.pngCompressionLevel,
      maxPixels: this.settings.maxPixels,
      faces: this.faces,
    }, edited ?? undefined);
    const frameMask = edited ? await encodeMask(edited, decoded) : undefined;
    return { ...out, timings: clock.timings, mask: maskPng, maskReused, frameMask };
  }

  /** The mask a result was made with, at the photo's size: the stored answer, refined as the options ask. */
  async frameMask(input: Buffer, request: CutoutRequest & { mask: Buffer }): Promise<Buffer> {
    const decoded = await decode(input, this.settings.maxPixels);
    const mask = await storedMask(request.mask, decoded.width, decoded.height);
    if (!mask) throw new Error('the stored mask does not fit this photo');
    if (renderSpec(request.options ?? {}).refine === 'fast') await refineEdges(decoded.rgba, mask, decoded.width, decoded.height);
    return encodeMask(mask, decoded);
  }

  /**
   * The API's answer as one byte per pixel at the photo's size: its alpha channel when it has one
   * (an API that sent the cut-out), else its grey; enlarged when the API sent a smaller image.
   */
  private async maskOf(answer: Buffer, width: number, height: number): Promise<Uint8Array> {
    try {
      const img = sharp(answer, { limitInputPixels: this.settings.maxPixels, failOn: 'error' });
      const meta = await img.metadata();
      const plane = meta.hasAlpha ? img.extractChannel('alpha') : img.toColourspace('b-w').extractChannel(0);
      const resized = meta.width === width && meta.height === height ? plane : plane.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
      return await resized.raw().toBuffer();
    } catch (err) {
      throw new EngineUnavailableError(`The external background-removal engine's answer is not a readable image (${err instanceof Error ? err.message.slice(0, 100) : 'unknown'}); please try again later.`);
    }
  }

  async release(): Promise<void> {
    await this.faces.release();
  }
}

/** A mask kept by an earlier job on this photo, when it is one at the photo's size (else null: the API is asked). */
async function storedMask(png: Buffer, width: number, height: number): Promise<Uint8Array | null> {
  try {
    const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    return info.width === width && info.height === height ? data : null;
  } catch {
    return null;
  }
}
